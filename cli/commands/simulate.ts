/**
 * `deskprint simulate`: publish a simulated building to any MQTT broker, or generate load.
 *
 *   deskprint simulate --scenario FILE [--mqtt URL] [--from ISO --to ISO] [--speed max|1x|Nx]
 *                      [--seed N] [--truth FILE] [--batch S] [--client-rate N] [--demo] [--duration S] [--out FILE]
 *   deskprint simulate --load --rate N --devices M [--mqtt URL] [--qos 0|1] [--duration S]
 *                      [--connections C] [--site ID] [--json]
 *
 * Exit codes: 0 done, 1 failed at run time (broker unreachable), 2 bad arguments or scenario.
 */
import { parseCommandArgs, parseIso } from './common.ts';
import cliProgress from 'cli-progress';
import { DeviceFleet, type PublishSink } from '../../simulators/fleet.ts';
import { runLoad } from '../../simulators/load.ts';
import { FileSink, runScenario } from '../../simulators/run.ts';
import { loadScenario, ScenarioError, withFaultOverrides, type Scenario } from '../../simulators/scenario.ts';
import { GroundTruth } from '../../simulators/truth.ts';

const USAGE = `usage:
  deskprint simulate --scenario FILE [--mqtt URL] [--from ISO --to ISO] [--speed max|1x|Nx]
                     [--seed N] [--truth FILE] [--batch S] [--client-rate N] [--fault KEY=VALUE]...
                     [--demo] [--duration S] [--out FILE] [--quiet]
  deskprint simulate --load --rate N --devices M [--mqtt URL] [--qos 0|1] [--duration S]
                     [--connections C] [--site ID] [--json]

  --speed max   as fast as the broker accepts, past timestamps (needs a period that has ended)
  --speed Nx    N times real time (1x is live)
  --batch S     gateway batching: one array payload per device per S simulated seconds
                (default 3600 at max speed, 0 otherwise)
  --client-rate N  at most N messages/s per device client (deskprint's embedded broker
                disconnects a client above DESKPRINT_MQTT_RATE_LIMIT, default 10/s)
  --fault K=V   override a scenario fault setting, e.g. --fault duplicate=0.01 --fault malformed=0.001
  --out FILE    write the message stream to FILE instead of a broker ("-" for stdout)
  --truth FILE  write the ground truth (NDJSON, docs/simulator.md)`;

/** Accepts `max`, `1x`, `60x` or `60`. */
export function parseSpeed(text: string): 'max' | number | null {
  if (text === 'max') return 'max';
  const m = /^(\d+(?:\.\d+)?)x?$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 ? n : null;
}


export async function runSimulate(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('simulate', USAGE, args, {
    scenario: { type: 'string' },
    mqtt: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    speed: { type: 'string' },
    seed: { type: 'string' },
    truth: { type: 'string' },
    batch: { type: 'string' },
    demo: { type: 'boolean' },
    duration: { type: 'string' },
    out: { type: 'string' },
    quiet: { type: 'boolean' },
    load: { type: 'boolean' },
    rate: { type: 'string' },
    devices: { type: 'string' },
    connections: { type: 'string' },
    'client-rate': { type: 'string' },
    fault: { type: 'string', multiple: true },
    qos: { type: 'string' },
    site: { type: 'string' },
    json: { type: 'boolean' },
  });
  if ('exit' in parsed) return parsed.exit;
  const { values } = parsed;
  const mqttUrl = values.mqtt ?? process.env.DESKPRINT_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  const problems: string[] = [];
  if (!/^(mqtts?|wss?|tcp):\/\//.test(mqttUrl)) problems.push(`--mqtt: must start with mqtt://, mqtts://, ws:// or wss://, got "${mqttUrl}"`);
  const num = (flag: string, text: string | undefined, check: (n: number) => boolean, what: string): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || !check(n)) {
      problems.push(`--${flag}: expected ${what}, got "${text}"`);
      return undefined;
    }
    return n;
  };
  const durationS = num('duration', values.duration, (n) => n > 0, 'a positive number of seconds');

  if (values.load) {
    const rate = num('rate', values.rate, (n) => n > 0, 'a positive number of messages per second');
    const devices = num('devices', values.devices, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
    const connections = num('connections', values.connections, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
    const qos = num('qos', values.qos, (n) => n === 0 || n === 1, '0 or 1');
    if (values.rate === undefined) problems.push('--rate: required with --load');
    if (values.devices === undefined) problems.push('--devices: required with --load');
    if (values.scenario !== undefined) problems.push('--scenario: not used with --load');
    if (problems.length > 0) return usageError(problems);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    try {
      const result = await runLoad({
        mqttUrl,
        rate: rate!,
        devices: devices!,
        ...(connections !== undefined ? { connections } : {}),
        qos: (qos ?? 0) as 0 | 1,
        durationS: durationS ?? 10,
        ...(values.site ? { site: values.site } : {}),
        ...(process.env.DESKPRINT_MQTT_USERNAME ? { username: process.env.DESKPRINT_MQTT_USERNAME } : {}),
        ...(process.env.DESKPRINT_MQTT_PASSWORD ? { password: process.env.DESKPRINT_MQTT_PASSWORD } : {}),
        signal: controller.signal,
        log: (m) => console.error(m),
        onProgress: ({ completed, elapsedS }) => {
          if (!values.json) console.error(`load: ${completed} messages in ${elapsedS.toFixed(1)} s`);
        },
      });
      if (values.json) console.log(JSON.stringify(result));
      else {
        console.log(
          `load: target ${result.targetRate} msg/s, achieved ${result.achievedRate.toFixed(1)} msg/s ` +
            `(${result.completed} of ${result.published} published messages completed in ${result.elapsedS.toFixed(2)} s, ` +
            `${result.errors} errors, ${result.connections} connections, ${result.devices} devices, QoS ${result.qos}, ` +
            `latency p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms)`,
        );
      }
      return result.errors > 0 ? 1 : 0;
    } catch (err) {
      console.error(`deskprint simulate: ${(err as Error).message}`);
      return 1;
    } finally {
      process.off('SIGINT', onSignal);
    }
  }

  if (!values.scenario) problems.push('--scenario: required (or use --load)');
  const speed = values.speed === undefined ? undefined : parseSpeed(values.speed);
  if (speed === null) problems.push(`--speed: expected max, 1x or Nx, got "${values.speed}"`);
  const seed = num('seed', values.seed, (n) => Number.isInteger(n), 'an integer');
  const batchS = num('batch', values.batch, (n) => n >= 0, 'a number of seconds (0 = no batching)');
  const clientRate = num('client-rate', values['client-rate'], (n) => n >= 0, 'a number of messages per second (0 = unlimited)');
  let from = values.from !== undefined ? parseIso(values.from, '--from', problems) : undefined;
  let to = values.to !== undefined ? parseIso(values.to, '--to', problems) : undefined;
  let scenario: Scenario | undefined;
  if (values.scenario) {
    try {
      scenario = withFaultOverrides(loadScenario(values.scenario), values.fault ?? []);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      problems.push(...err.problems.map((p) => `${err.source}: ${p}`));
    }
  }
  if (problems.length > 0 || !scenario) return usageError(problems);

  const wallNow = Date.now();
  // The scenario's period is the default for a run at max speed; a paced run starts now.
  if (from === undefined && to === undefined && scenario.period && (speed === undefined || speed === 'max')) {
    from = Date.parse(scenario.period.from);
    to = Date.parse(scenario.period.to);
  }
  const effectiveSpeed = speed ?? (to !== undefined && to <= wallNow ? 'max' : 1);
  if (effectiveSpeed === 'max') {
    if (from === undefined || to === undefined) {
      // Default: the 30 days that ended at the last UTC midnight.
      to ??= Math.floor(wallNow / 86_400_000) * 86_400_000;
      from ??= to - 30 * 86_400_000;
    }
    // The native adapter rejects timestamps more than 5 min ahead of their receive time.
    if (to > wallNow) problems.push(`--to: a run at max speed publishes past timestamps; ${new Date(to).toISOString()} is in the future`);
  } else {
    from ??= wallNow;
    to ??= durationS !== undefined ? from + durationS * 1000 * effectiveSpeed : Infinity;
    if (from > wallNow + 5 * 60_000) problems.push('--from: a paced run cannot start in the future');
    // Faster than real time, the simulated clock overtakes the wall clock unless it starts far
    // enough in the past; the native adapter rejects timestamps more than 5 min ahead.
    else if (effectiveSpeed > 1 && (to === Infinity || to - (to - from) / effectiveSpeed > wallNow + 5 * 60_000)) {
      problems.push(`--speed: at ${effectiveSpeed}x the simulated clock would run ahead of the wall clock; give a --from in the past and a --to at most ${effectiveSpeed}x the run's length later`);
    }
  }
  if (to !== undefined && from !== undefined && to <= from) problems.push('--to: must be after --from');
  if (problems.length > 0) return usageError(problems);

  const truth = values.truth ? new GroundTruth(scenario.site.accounting_interval_min * 60_000, scenario.site.timezone) : undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let sink: PublishSink & { published?: number };
  const capture = values.out !== undefined ? new FileSink(values.out) : undefined;
  try {
    sink =
      capture ??
      (await DeviceFleet.connect({
        url: mqttUrl,
        site: scenario.site.id,
        devices: scenario.site.devices.map((d) => d.id),
        ...(process.env.DESKPRINT_MQTT_USERNAME ? { username: () => process.env.DESKPRINT_MQTT_USERNAME } : {}),
        ...(process.env.DESKPRINT_MQTT_PASSWORD ? { password: () => process.env.DESKPRINT_MQTT_PASSWORD } : {}),
        // Stay under the broker's per-client limit with a burst of half its default allowance.
        ...(clientRate ? { rateLimit: { perSecond: clientRate, burst: 50 } } : {}),
        log: (m) => console.error(m),
      }));
  } catch (err) {
    console.error(`deskprint simulate: ${(err as Error).message}`);
    return 1;
  }

  const span = to === Infinity ? null : to! - from!;
  const bar =
    !values.quiet && span !== null
      ? new cliProgress.SingleBar(
          { format: 'simulate |{bar}| {percentage}% | {sim} | {messages} messages', stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  let messages = 0;
  const counting: PublishSink = {
    publish: (m) => {
      messages++;
      return sink.publish(m);
    },
  };
  bar?.start(100, 0, { sim: new Date(from!).toISOString(), messages: 0 });
  console.error(
    `simulate: ${scenario.name} (site ${scenario.site.id}) from ${new Date(from!).toISOString()} to ${to === Infinity ? 'Ctrl-C' : new Date(to!).toISOString()} ` +
      `at ${effectiveSpeed === 'max' ? 'max speed' : `${effectiveSpeed}x`}${capture ? '' : ` → ${mqttUrl}`}`,
  );
  let stopTimer: NodeJS.Timeout | undefined;
  if (durationS !== undefined) stopTimer = setTimeout(() => controller.abort(), durationS * 1000);
  try {
    const stats = await runScenario({
      scenario,
      from: from!,
      to: to!,
      speed: effectiveSpeed,
      ...(seed !== undefined ? { seed } : {}),
      sink: counting,
      ...(truth ? { truth } : {}),
      ...(batchS !== undefined ? { batchS } : {}),
      demo: values.demo ?? false,
      signal: controller.signal,
      onProgress: (t) => {
        if (span !== null) bar?.update(Math.min(100, Math.round(((t - from!) / span) * 1000) / 10), { sim: new Date(t).toISOString(), messages });
      },
    });
    bar?.stop();
    await capture?.close();
    if (truth && values.truth) {
      truth.write(values.truth, {
        scenario: scenario.name,
        site: scenario.site.id,
        seed: seed ?? scenario.seed,
        from: new Date(stats.simulatedFrom).toISOString(),
        to: new Date(stats.simulatedTo).toISOString(),
      });
    }
    const faults = Object.entries(stats.faults as Record<string, number>).filter(([, n]) => n > 0);
    console.error(
      `simulate: ${stats.samples} samples in ${stats.messages} messages, ${((stats.simulatedTo - stats.simulatedFrom) / 86_400_000).toFixed(2)} simulated days ` +
        `in ${(stats.wallMs / 1000).toFixed(1)} s${faults.length ? `; faults: ${faults.map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}` +
        `${truth ? `; ground truth in ${values.truth}` : ''}`,
    );
    return 0;
  } catch (err) {
    bar?.stop();
    console.error(`deskprint simulate: ${(err as Error).message}`);
    return 1;
  } finally {
    if (stopTimer) clearTimeout(stopTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sink.close?.();
  }
}

function usageError(problems: string[]): number {
  console.error(`deskprint simulate: invalid arguments\n${problems.map((p) => `  ${p}`).join('\n')}\n\n${USAGE}`);
  return 2;
}
