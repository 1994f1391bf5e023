/**
 * Security headers for every response. The Content-Security-Policy fits the Vite-built
 * dashboard: scripts and styles come from `/assets/` (same origin); Svelte and chart.js set
 * inline styles; the favicon is a `data:` URI; socket.io and MQTT over WebSocket connect to
 * the same origin. Nothing may frame the dashboard (clickjacking).
 */
import type { RequestHandler } from 'express';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  // 'self' covers same-origin ws:/wss: in current browsers (CSP Level 3 §6.7.2.9).
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(opts: { https: boolean }): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    // HSTS only over HTTPS: on plain HTTP a browser ignores it anyway (RFC 6797 §8.1).
    if (opts.https) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    next();
  };
}
