/**
 * The load generator in its own process (forked by bench/run.ts), so that it competes with
 * the system under test for the machine's cores as real devices would not, but as the
 * issue's targets count it ("load generator included"). IPC: `connect`, `publish`, `close`.
 */
import { LoadFleet, type FleetOptions, type PublishOptions } from './loadgen.ts';

let fleet: LoadFleet | undefined;

process.on('message', (m: { id: number; cmd: 'connect'; opts: FleetOptions } | { id: number; cmd: 'publish'; opts: PublishOptions } | { id: number; cmd: 'close' }) => {
  const reply = (body: object) => process.send!({ id: m.id, ...body });
  const fail = (err: Error) => reply({ error: err.message });
  switch (m.cmd) {
    case 'connect': {
      const t0 = Date.now();
      LoadFleet.connect(m.opts).then((f) => {
        fleet = f;
        reply({ connections: f.connections, connectMs: Date.now() - t0 });
      }, fail);
      return;
    }
    case 'publish':
      if (!fleet) return fail(new Error('not connected'));
      fleet.publish(m.opts).then((r) => reply(r), fail);
      return;
    case 'close':
      void (fleet?.close() ?? Promise.resolve()).then(() => {
        reply({});
        process.exit(0);
      });
      return;
  }
});
process.send!({ id: 0 });
