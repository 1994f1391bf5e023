/**
 * Webhook ingest for vendor clouds (Disruptive Technologies Data Connectors, Butlr):
 * `POST /api/webhooks/<ecosystem>/<site>`. Each request is authenticated against the
 * site's shared secret by the ecosystem's adapter (signature or token, devices/<ecosystem>/),
 * then handed to ingest as one message, so it meets the same decoding, registry, rejection
 * counters and store as an MQTT message. The answer is 2xx only once ingest says the
 * message's points are durable; a vendor retries anything else.
 *
 * Signing in is not needed (the vendor has no account); the secret is never logged nor
 * echoed, and an unknown site answers like a wrong secret.
 */
import express, { Router } from 'express';
import type { Adapter } from '../../devices/adapter.ts';
import { webhookTopic } from '../../devices/adapter.ts';
import { webhookSecret, type SiteFile } from '../../devices/site.ts';
import type { InboundMessage } from '../../ingest/sources.ts';
import type { Registry } from '../../store/registry.ts';
import { ApiError } from '../errors.ts';

export interface WebhookRouteDeps {
  registry: Registry;
  /** The webhook adapters (those with `webhook: true`). */
  adapters: readonly Adapter[];
  /** Hands one message to ingest; resolves once its points are durable. */
  ingestMessage: (msg: InboundMessage) => Promise<void> | void;
  /** The site's secret for an ecosystem; default: the environment variable its site file names. */
  secretOf?: (site: SiteFile, ecosystem: string) => string | undefined;
  /** Larger bodies are refused (DESKPRINT_MAX_PAYLOAD_BYTES, as for MQTT). */
  maxBytes?: number;
  clock?: () => number;
}

export function webhookRoutes(deps: WebhookRouteDeps): Router {
  const r = Router();
  const secretOf = deps.secretOf ?? ((site: SiteFile, ecosystem: string) => webhookSecret(site, ecosystem));
  const clock = deps.clock ?? Date.now;
  r.post('/webhooks/:ecosystem/:site', express.raw({ type: () => true, limit: deps.maxBytes ?? 256 * 1024 }), async (req, res, next) => {
    try {
      const adapter = deps.adapters.find((a) => a.webhook && a.name === req.params.ecosystem);
      if (!adapter?.authenticate) throw new ApiError('ERR_NOT_FOUND', `No webhook for "${String(req.params.ecosystem).slice(0, 40)}"`);
      const site = deps.registry.site(String(req.params.site));
      const secret = site ? secretOf(site, adapter.name) : undefined;
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const now = clock();
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
      if (!site || secret === undefined || !adapter.authenticate(headers, body, secret, now)) {
        throw new ApiError('ERR_UNAUTHENTICATED', 'Webhook signature or token missing or invalid for this site');
      }
      await deps.ingestMessage({ topic: webhookTopic(adapter.name), payload: body, receivedAt: now, site: site.id });
      res.status(200).json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  return r;
}
