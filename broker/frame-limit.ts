/**
 * A transport-level bound on MQTT packet size. mqtt-packet buffers a whole PUBLISH before
 * aedes sees it (up to the protocol's 256 MiB), so a payload check in `authorizePublish`
 * alone would come after the memory is spent; aedes's docs advise pairing its limits with
 * a transport frame limit. This watches the fixed header of each packet as aedes reads the
 * stream and drops the connection as soon as a packet announces more than the limit.
 */
import type { Duplex } from 'node:stream';

/**
 * Taps a connection that aedes already reads (call after `aedes.handle`): a `data`
 * listener added after aedes's `readable` listener sees each chunk aedes reads without
 * changing the flow (Node's Readable: `readable` takes precedence over `data`).
 */
export function limitPacketSize(conn: Duplex, maxPacketBytes: number, onExceeded?: (announced: number) => void): void {
  let state: 'header' | 'length' | 'body' = 'header';
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let remaining = 0;
  conn.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (state === 'body') {
        const skip = Math.min(remaining, chunk.length - i);
        remaining -= skip;
        i += skip;
        if (remaining === 0) state = 'header';
        continue;
      }
      const byte = chunk[i++]!;
      if (state === 'header') {
        state = 'length';
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
        continue;
      }
      // Remaining length: variable byte integer, at most four bytes (MQTT 3.1.1 §2.2.3).
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      lengthBytes++;
      if (byte & 0x80) {
        if (lengthBytes >= 4) return void conn.destroy(new Error('malformed remaining length'));
        continue;
      }
      if (length > maxPacketBytes) {
        onExceeded?.(length);
        return void conn.destroy(new Error(`packet of ${length} bytes exceeds ${maxPacketBytes}`));
      }
      remaining = length;
      state = remaining === 0 ? 'header' : 'body';
    }
  });
}
