'use strict';
// Response writing in the apiserver's wire form: compact JSON + "\n",
// Content-Length framing (gzip for large bodies when accepted; callers set
// res.acceptGzip from Accept-Encoding), and the headers a real apiserver sends
// (Audit-Id, Cache-Control, X-Kubernetes-Pf-*). Works on both the HTTP/1.1
// and the HTTP/2 compatibility response objects.

const crypto = require('node:crypto');
const zlib = require('node:zlib');

// Like the apiserver's deferredResponseWriter: bodies over 128 KiB are
// gzipped (level 1, no Content-Length) when the client accepts gzip.
const GZIP_THRESHOLD = 128 * 1024;

// Fixed per process, like APF's flow schema / priority level UIDs.
const FLOWSCHEMA_UID = crypto.randomUUID();
const PRIORITYLEVEL_UID = crypto.randomUUID();

function baseHeaders(res) {
  // The apiserver keeps a caller's Audit-ID and makes one otherwise.
  const given = res.req && res.req.headers && res.req.headers['audit-id'];
  res.setHeader('Audit-Id', res.auditId || (res.auditId = given || crypto.randomUUID()));
  res.setHeader('Cache-Control', 'no-cache, private');
  // Authentication runs before API Priority and Fairness: a 401 has no APF headers.
  if (res.beforeAPF) return;
  res.setHeader('X-Kubernetes-Pf-Flowschema-Uid', FLOWSCHEMA_UID);
  res.setHeader('X-Kubernetes-Pf-Prioritylevel-Uid', PRIORITYLEVEL_UID);
}

function sendRaw(res, code, contentType, body, extraHeaders) {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  baseHeaders(res);
  res.setHeader('Content-Type', contentType);
  if (extraHeaders) for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  const buf = Buffer.from(body);
  if (buf.length > GZIP_THRESHOLD && res.acceptGzip) {
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Vary', 'Accept-Encoding');
    res.writeHead(code);
    res.end(zlib.gzipSync(buf, {level: 1}));
    return;
  }
  res.setHeader('Content-Length', String(buf.length));
  res.writeHead(code);
  res.end(buf);
}

function sendJSON(res, code, obj, extraHeaders) {
  sendRaw(res, code, 'application/json', JSON.stringify(obj) + '\n', extraHeaders);
}

// Renders an ApiError (or any thrown error, as a 500) as a Status.
function sendError(res, err, log) {
  if (res.headersSent) {
    if (log) log(`error after the response started: ${err && err.stack ? err.stack : err}`);
    if (!res.writableEnded && !res.destroyed) res.end();
    return;
  }
  if (typeof err.toStatus !== 'function') {
    if (log) log(`internal error: ${err && err.stack ? err.stack : err}`);
    const {errors} = require('./status.js');
    err = errors.internal(String(err && err.message ? err.message : err));
  }
  const headers = {};
  if (err.extra && err.extra.retryAfter) headers['Retry-After'] = String(err.extra.retryAfter);
  sendJSON(res, err.code, err.toStatus(), headers);
}

module.exports = {baseHeaders, sendRaw, sendJSON, sendError};
