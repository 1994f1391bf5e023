/** /api/openapi.json, generated from the same zod schemas the code uses. */
import { z } from 'zod';
import { errorEnvelopeSchema, healthSchema, liveSnapshotSchema, seriesResponseSchema, siteSummarySchema } from '../devices/api-types.ts';
import { ERROR_CODES } from './errors.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema: z.toJSONSchema(schema, { unrepresentable: 'any' }) } });
const errorResponse = { description: 'Error envelope', content: json(errorEnvelopeSchema) };
const siteParam = { name: 'site', in: 'path', required: true, schema: { type: 'string' } };
const q = (name: string, description: string) => ({ name, in: 'query', required: false, schema: { type: 'string' }, description });

export function openApiDocument(version: string): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'deskprint API',
      version,
      description: `Live energy and carbon footprint of shared workspaces. Errors use one envelope; codes: ${Object.keys(ERROR_CODES).join(', ')}.`,
    },
    paths: {
      '/api/health': { get: { summary: 'Ingest counters and store state', responses: { 200: { description: 'Healthy or degraded', content: json(healthSchema) }, 503: { description: 'Down', content: json(healthSchema) } } } },
      '/api/sites': { get: { summary: 'Registered sites', responses: { 200: { description: 'Sites', content: json(z.array(siteSummarySchema)) } } } },
      '/api/sites/{site}/live': {
        get: { summary: 'Live snapshot of a site (updated every second)', parameters: [siteParam], responses: { 200: { description: 'Snapshot', content: json(liveSnapshotSchema) }, 404: errorResponse } },
      },
      '/api/sites/{site}/series': {
        get: {
          summary: 'Windowed aggregates of a metric',
          parameters: [
            siteParam,
            { ...q('metric', 'Metric key from the catalogue, e.g. power_w'), required: true },
            q('from', 'Start: epoch ms, ISO 8601 or now-1h (default: to - 1 h)'),
            q('to', 'End: epoch ms, ISO 8601 or now (default: now)'),
            q('every', 'Window: 30s, 1m, 1h, 1d or ms'),
            q('fn', 'mean | sum | min | max | last | first | count'),
            q('by', 'Comma-separated tags: device, kind, zone, desk, category, carrier'),
            q('zone', 'Filter'), q('device', 'Filter'), q('category', 'Filter'), q('carrier', 'Filter'),
          ],
          responses: { 200: { description: 'Series', content: json(seriesResponseSchema) }, 400: errorResponse, 404: errorResponse },
        },
      },
    },
  };
}
