'use strict';
// The Kubernetes API front end: authentication, routing, and the REST verbs
// (get, list, watch, create, update, patch, delete, deletecollection) over
// the object store, with the apiserver's semantics and error texts.
//
// Callers: sim.js builds one ApiServer per process and calls
// handle(req, res, body) for every request outside /_sim/ (the body is
// already read into a Buffer). Everything runs on the event loop: a handler
// reads and writes the store synchronously, so each request is atomic; the
// only waits are the "too large resourceVersion" delay and watch streams.

const {errors, ApiError} = require('./status.js');
const {RESOURCES, lookup} = require('./resources.js');
const {clone, nowRFC3339} = require('./store.js');
const selectors = require('./selectors.js');
const strategy = require('./strategy.js');
const patchlib = require('./patch.js');
const discovery = require('./discovery.js');
const {sendJSON, sendRaw, sendError} = require('./wire.js');
const {WatchHub} = require('./watch.js');
const table = require('./table.js');
const protobuf = require('./protobuf.js');
const fieldsLib = require('./fields.js');
const managed = require('./managed.js');

const GROUPS = {'': 'v1', 'coordination.k8s.io': 'v1'};
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const READ_VERBS = new Set(['get', 'list', 'watch']);
const LIST_OPTIONS = {kind: 'ListOptions', group: 'meta.k8s.io'};
const PATCH_OPTIONS = {kind: 'PatchOptions', group: 'meta.k8s.io'};

function parseBool(v) {
  if (v === undefined || v === null) return undefined;
  if (/^(1|t|T|true|TRUE|True)$/.test(v)) return true;
  if (/^(0|f|F|false|FALSE|False|)$/.test(v)) return false;
  throw errors.badRequest(`strconv.ParseBool: parsing "${v}": invalid syntax`);
}

function parseIntParam(name, v) {
  if (v === undefined || v === null) return undefined;
  if (!/^-?[0-9]+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function parseRV(v, what) {
  if (!/^[0-9]+$/.test(v)) {
    throw errors.badRequest(`invalid resource version "${v}" for ${what}: strconv.ParseUint: parsing "${v}": invalid syntax`);
  }
  return Number(v);
}

// Go's encoding/json error text for the first problem in `text`.
function goJSONError(text) {
  const t = text.replace(/^[\s]+/, '');
  if (t === '') return 'unexpected end of JSON input';
  if (!/^[{["\-0-9tfn]/.test(t)) return `invalid character '${t[0]}' looking for beginning of value`;
  return 'unexpected end of JSON input';
}

function forbiddenCause(field, detail) {
  return {type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}`};
}

function withKind(info, obj) {
  return {kind: info.kind, apiVersion: info.apiVersion, ...obj};
}

// --- continue tokens (apiserver pkg/storage/continue.go) -----------------

function encodeContinue(key, rv) {
  const json = JSON.stringify({v: 'meta.k8s.io/v1', rv, start: `${key}\u0000`});
  return Buffer.from(json).toString('base64url');
}

function decodeContinue(token) {
  const bad = (m) => errors.badRequest(`invalid continue token: continue key is not valid: ${m}`);
  const i = token.search(/[^A-Za-z0-9_-]/);
  if (i >= 0) throw bad(`illegal base64 data at input byte ${i}`);
  if (token.length % 4 === 1) throw bad(`illegal base64 data at input byte ${token.length - 1}`);
  const text = Buffer.from(token, 'base64url').toString('latin1');
  let c;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw bad(goJSONError(text));
  }
  if (!c || typeof c !== 'object' || c.v !== 'meta.k8s.io/v1') {
    throw bad(`server does not recognize this encoded version "${c && c.v !== undefined ? c.v : ''}"`);
  }
  if (!Number.isInteger(c.rv) || c.rv === 0) throw bad('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof c.start !== 'string' || c.start === '') throw bad('encoded start key empty');
  return {rv: c.rv, start: c.start};
}

class ApiServer {
  // ctx: {store, options, log}. options: {tooLargeWaitMs, bookmarkIntervalMs,
  // minRequestTimeout, watchList, auth: {tokens: Map token -> user}, tokenFile,
  // finishDeletes}
  constructor(ctx) {
    this.store = ctx.store;
    this.options = ctx.options;
    this.log = ctx.log;
    this.hub = new WatchHub(this.store, this.options, this.log);
    this.deleteTimers = new Map();
    this.host = '127.0.0.1:6443';  // serverAddressByClientCIDRs; sim.js sets the real port
  }

  stop() {
    this.hub.stop();
    for (const t of this.deleteTimers.values()) clearTimeout(t);
    this.deleteTimers.clear();
  }

  // --- auth -------------------------------------------------------------

  authenticate(req) {
    // x509 first, as the apiserver's union authenticator: a client
    // certificate signed by the CA names the user (CN); "sim-readonly" is
    // read-only.
    const sock = req.socket;
    if (sock && sock.authorized === true && typeof sock.getPeerCertificate === 'function') {
      const cert = sock.getPeerCertificate();
      const cn = cert && cert.subject && cert.subject.CN;
      if (cn) return cn === 'sim-readonly' ? {name: cn, readOnly: true} : {name: cn};
    }
    const h = req.headers.authorization;
    if (!h || !/^bearer /i.test(h)) return null;
    const token = h.slice(7).trim();
    const user = this.options.auth.tokens.get(token);
    if (user) return user;
    const file = this.options.auth.tokenFile;
    if (file) {
      // Re-read on every use: a rotated token is live at once and the old
      // one stops working, as with a re-issued service-account token.
      let current = null;
      try {
        current = require('node:fs').readFileSync(file, 'utf8').trim();
      } catch (e) {
        current = null;
      }
      if (current && token === current) return {name: 'sim-admin'};
    }
    return null;
  }

  authorize(user, verb, info, ns, name) {
    if (user.readOnly && !READ_VERBS.has(verb)) throw errors.forbidden(user.name, verb, info, ns, name);
    if (user.namespaces) {
      if (!info.namespaced && info.resource !== 'namespaces') {
        if (!READ_VERBS.has(verb)) throw errors.forbidden(user.name, verb, info, ns, name);
      } else if (!ns || !user.namespaces.has(ns)) {
        if (info.resource !== 'namespaces' || !READ_VERBS.has(verb)) {
          throw errors.forbidden(user.name, verb, info, ns, name);
        }
      }
    }
  }

  // SelfSubjectAccessReview (kubectl auth can-i): answers with the same
  // rules authorize() applies; non-resource paths are allowed.
  accessReview(req, res, user, body) {
    const ctype = (req.headers['content-type'] || 'application/json').split(';')[0].trim().toLowerCase();
    let review;
    try {
      review = ctype === 'application/vnd.kubernetes.protobuf' ? protobuf.decode(body) : JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw errors.badRequest(`the object provided is unrecognized: ${e.message}`);
    }
    if (!review || typeof review !== 'object' || !review.spec) {
      throw errors.badRequest('the object provided is not a SelfSubjectAccessReview');
    }
    const ra = review.spec.resourceAttributes;
    let allowed = true;
    if (ra) {
      const info = RESOURCES[ra.resource] || {resource: ra.resource || '', group: ra.group || '', namespaced: Boolean(ra.namespace)};
      try {
        this.authorize(user, ra.verb || 'get', info, ra.namespace || '', ra.name);
      } catch (e) {
        allowed = false;
      }
    }
    const out = {kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1',
      metadata: {creationTimestamp: null}, spec: review.spec, status: {allowed}};
    if (allowed) out.status.reason = '';
    sendJSON(res, 201, out);
  }

  // --- entry ------------------------------------------------------------

  async handle(req, res, body) {
    try {
      const url = new URL(req.url, 'https://sim.invalid');
      const path = url.pathname.replace(/\/+$/, '') || '/';
      const q = url.searchParams;
      const user = this.authenticate(req);
      if (!user && !PUBLIC_PATHS.has(path)) {
        res.beforeAPF = true;
        throw errors.unauthorized();
      }
      if (this.discovery(req, res, path)) return;
      if (path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
        if (req.method !== 'POST') throw errors.methodNotAllowed(req.method);
        return this.accessReview(req, res, user, body);
      }
      const r = this.route(path);
      if (!r) throw errors.pathNotFound();
      const verb = this.verbOf(req.method, r, q);
      this.authorize(user, verb, r.info, r.ns, r.name);
      await this.dispatch(verb, req, res, r, q, body);
    } catch (e) {
      sendError(res, e, this.log);
    }
  }

  discovery(req, res, path) {
    if (req.method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') return false;
    if (req.method !== 'GET') return false;
    switch (path) {
      case '/version': sendRaw(res, 200, 'application/json', JSON.stringify(discovery.VERSION, null, 2)); return true;
      case '/healthz': case '/livez': case '/readyz': sendRaw(res, 200, 'text/plain; charset=utf-8', 'ok'); return true;
      case '/api': sendJSON(res, 200, discovery.apiVersions(this.host)); return true;
      case '/api/v1': sendJSON(res, 200, discovery.CORE_V1); return true;
      case '/apis': sendJSON(res, 200, discovery.API_GROUP_LIST); return true;
      case '/apis/coordination.k8s.io':
        sendJSON(res, 200, {kind: 'APIGroup', apiVersion: 'v1', ...discovery.COORDINATION_GROUP}); return true;
      case '/apis/coordination.k8s.io/v1': sendJSON(res, 200, discovery.COORDINATION_V1); return true;
      case '/apis/authorization.k8s.io':
        sendJSON(res, 200, {kind: 'APIGroup', apiVersion: 'v1', ...discovery.AUTHORIZATION_GROUP}); return true;
      case '/apis/authorization.k8s.io/v1': sendJSON(res, 200, discovery.AUTHORIZATION_V1); return true;
      case '/openapi/v3': sendJSON(res, 200, discovery.openapiIndex()); return true;
      case '/openapi/v2':
        sendRaw(res, 200, 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', discovery.openapiV2Protobuf());
        return true;
      default: break;
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = discovery.openapiDoc(path.slice('/openapi/v3/'.length));
      if (doc) { sendJSON(res, 200, doc); return true; }
    }
    return false;
  }

  // Maps a path to {info, ns, name, sub, collection}; null if unknown.
  route(path) {
    let seg;
    try {
      seg = path.split('/').slice(1).map(decodeURIComponent);
    } catch (e) {
      return null;  // malformed percent-encoding
    }
    let group;
    let rest;
    if (seg[0] === 'api' && seg[1] === 'v1') { group = ''; rest = seg.slice(2); }
    else if (seg[0] === 'apis' && GROUPS[seg[1]] === seg[2] && seg[1]) { group = seg[1]; rest = seg.slice(3); }
    else return null;
    const find = (name) => {
      const info = RESOURCES[name];
      return info && info.group === group ? info : null;
    };
    let ns = '';
    if (rest[0] === 'namespaces' && rest.length >= 3 && find(rest[2]) && find(rest[2]).namespaced) {
      ns = rest[1];
      rest = rest.slice(2);
    }
    const info = find(rest[0]);
    if (!info || rest.length > 3) return null;
    if (info.namespaced && !ns && rest.length > 1) return null;
    const r = {info, ns: info.namespaced ? ns : '', name: rest[1], sub: rest[2], collection: rest.length === 1};
    if (r.sub !== undefined && !this.subresourceKnown(info, r.sub)) return null;
    return r;
  }

  subresourceKnown(info, sub) {
    const known = {pods: ['status', 'binding', 'log'], nodes: ['status'], namespaces: ['status', 'finalize']};
    return (known[info.resource] || []).includes(sub);
  }

  verbOf(method, r, q) {
    const watch = parseBool(q.get('watch'));
    switch (method) {
      case 'GET': return watch ? 'watch' : r.collection ? 'list' : 'get';
      case 'POST': return 'create';
      case 'PUT': return 'update';
      case 'PATCH': return 'patch';
      case 'DELETE': return r.collection ? 'deletecollection' : 'delete';
      default: throw errors.methodNotAllowed(method, r.info);
    }
  }

  async dispatch(verb, req, res, r, q, body) {
    const {info} = r;
    if (r.sub === 'binding' || (verb === 'create' && !r.collection)) {
      if (r.sub === 'binding' && verb === 'create') return this.bind(res, r, body, req);
      throw errors.methodNotAllowed(req.method, info);
    }
    if (r.sub === 'log') {
      if (verb !== 'get') throw errors.methodNotAllowed(req.method, info);
      this.mustGet(info, r.ns, r.name);
      return sendRaw(res, 200, 'text/plain', '');
    }
    if (r.collection && (verb === 'update' || verb === 'patch')) throw errors.methodNotAllowed(req.method, info);
    const subVerbs = {status: ['get', 'update', 'patch'], finalize: ['update']};
    if (r.sub && !subVerbs[r.sub].includes(verb)) throw errors.methodNotAllowed(req.method, info);
    if (verb === 'deletecollection' && info.namespaced && !r.ns) throw errors.methodNotAllowed(req.method, info);
    switch (verb) {
      case 'get': return this.get(req, res, r, q);
      case 'list': return this.list(req, res, r, q);
      case 'watch': return this.watch(req, res, r, q);
      case 'create': return this.create(req, res, r, q, body);
      case 'update': return this.update(req, res, r, q, body);
      case 'patch': return this.patch(req, res, r, q, body);
      case 'delete': return this.remove(req, res, r, q, body);
      case 'deletecollection': return this.removeCollection(req, res, r, q, body);
      default: throw errors.methodNotAllowed(req.method, info);
    }
  }

  mustGet(info, ns, name) {
    const cur = this.store.peek(info.resource, ns, name);
    if (!cur) throw errors.notFound(info, name);
    return cur;
  }

  // Waits up to tooLargeWaitMs for the store to reach rv; 504 otherwise.
  async waitForRV(rv) {
    if (Number(this.store.currentRV()) >= rv) return;
    await new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.store.removeListener('event', check);
        resolve();
      };
      const check = () => { if (Number(this.store.currentRV()) >= rv) done(); };
      const timer = setTimeout(done, this.options.tooLargeWaitMs);
      this.store.on('event', check);
    });
    if (Number(this.store.currentRV()) < rv) throw errors.tooLargeRV(rv, this.store.currentRV());
  }

  sendObject(req, res, code, info, obj) {
    if (table.wantsTable(req) && table.supports(info)) {
      const include = new URL(req.url, 'https://sim.invalid').searchParams.get('includeObject');
      return sendJSON(res, code, table.render(info, [obj], {resourceVersion: obj.metadata.resourceVersion}, include));
    }
    sendJSON(res, code, withKind(info, obj));
  }

  // --- read verbs ---------------------------------------------------------

  async get(req, res, r, q) {
    const rv = q.get('resourceVersion');
    if (rv && rv !== '0') await this.waitForRV(parseRV(rv, 'get'));
    const cur = this.mustGet(r.info, r.ns, r.name);
    this.sendObject(req, res, 200, r.info, cur);
  }

  validateList(q) {
    const rv = q.get('resourceVersion');
    const match = q.get('resourceVersionMatch');
    const cont = q.get('continue');
    const causes = [];
    if (match) {
      if (!rv) causes.push(forbiddenCause('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      if (cont) causes.push(forbiddenCause('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') {
        causes.push({type: 'FieldValueNotSupported', field: 'resourceVersionMatch',
          message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`});
      }
      if (match === 'Exact' && rv === '0') {
        causes.push(forbiddenCause('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
      }
    }
    if (q.has('sendInitialEvents')) causes.push(forbiddenCause('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
    if (causes.length) throw errors.invalid(LIST_OPTIONS, '', causes);
  }

  validateWatch(q) {
    const match = q.get('resourceVersionMatch');
    const causes = [];
    if (q.has('sendInitialEvents')) {
      if (match !== 'NotOlderThan') {
        causes.push(forbiddenCause('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
      }
      if (!this.options.watchList) {
        causes.push(forbiddenCause('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
      } else if (!parseBool(q.get('allowWatchBookmarks')) && parseBool(q.get('sendInitialEvents'))) {
        causes.push(forbiddenCause('allowWatchBookmarks', 'sendInitialEvents requires setting allowWatchBookmarks to true'));
      }
    }
    if (match) {
      if (!q.has('sendInitialEvents')) {
        causes.push(forbiddenCause('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      }
      if (match !== 'NotOlderThan') {
        causes.push({type: 'FieldValueNotSupported', field: 'resourceVersionMatch',
          message: `Unsupported value: "${match}": supported values: "NotOlderThan"`});
      }
      if (q.get('continue')) causes.push(forbiddenCause('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    if (causes.length) throw errors.invalid(LIST_OPTIONS, '', causes);
  }

  // Resolves the list's read point: {atRV?, startKey?} per the RV table.
  async listPoint(r, q, prefix) {
    const rv = q.get('resourceVersion') || '';
    const match = q.get('resourceVersionMatch') || '';
    const cont = q.get('continue');
    const limit = parseIntParam('limit', q.get('limit'));
    if (cont) {
      if (rv && rv !== '0') throw errors.badRequest('specifying resource version is not allowed when using continue');
      const tok = decodeContinue(cont);
      const startKey = prefix + tok.start;
      if (tok.rv === -1) return {startKey};
      if (tok.rv < this.store.compactedRV(r.info.resource)) {
        throw errors.expired('The provided continue parameter is too old to display a consistent list result. ' +
          'You can start a new list without the continue parameter, or use the continue token in this response ' +
          'to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent ' +
          'list - objects that were created, modified, or deleted between the time the first chunk was returned ' +
          'and now may show up in the list.', {continue: encodeContinue(tok.start.replace(/\u0000$/, ''), -1)});
      }
      return {atRV: tok.rv, startKey};
    }
    if (rv === '' || rv === '0') return {};
    const n = parseRV(rv, 'list');
    await this.waitForRV(n);
    if (match === 'Exact' || (match === '' && limit > 0)) return {atRV: n};
    return {};
  }

  async list(req, res, r, q) {
    this.validateList(q);
    const {info} = r;
    const ls = selectors.parseLabelSelector(q.get('labelSelector'));
    const fs = selectors.parseFieldSelector(q.get('fieldSelector'), info);
    const prefix = info.namespaced && r.ns ? `${r.ns}/` : '';
    const point = await this.listPoint(r, q, prefix);
    const limit = parseIntParam('limit', q.get('limit'));
    const out = this.store.list(info.resource, r.ns || null, {labelSelector: ls, fieldSelector: fs, atRV: point.atRV,
      limit: limit > 0 ? limit : undefined, startKey: point.startKey, raw: true});
    const meta = {resourceVersion: out.resourceVersion};
    if (out.nextKey) {
      meta.continue = encodeContinue(out.nextKey.slice(prefix.length), Number(out.resourceVersion));
      if (out.remainingItemCount !== undefined) meta.remainingItemCount = out.remainingItemCount;
    }
    if (table.wantsTable(req) && table.supports(info)) {
      return sendJSON(res, 200, table.render(info, out.items, meta, q.get('includeObject')));
    }
    const items = out.items.map((o) => JSON.stringify(o)).join(',');
    const text = `{"kind":"${info.listKind}","apiVersion":"${info.apiVersion}","metadata":${JSON.stringify(meta)},` +
                 `"items":[${items}]}\n`;
    sendRaw(res, 200, 'application/json', text);
  }

  watch(req, res, r, q) {
    this.validateWatch(q);
    const {info} = r;
    let fieldSelector = q.get('fieldSelector') || '';
    if (!r.collection) fieldSelector = `metadata.name=${r.name}${fieldSelector ? ',' + fieldSelector : ''}`;
    const opts = {
      labelSelector: selectors.parseLabelSelector(q.get('labelSelector')),
      fieldSelector: selectors.parseFieldSelector(fieldSelector, info),
      resourceVersion: q.get('resourceVersion') || undefined,
      timeoutSeconds: parseIntParam('timeoutSeconds', q.get('timeoutSeconds')),
      allowWatchBookmarks: parseBool(q.get('allowWatchBookmarks')) || false,
      sendInitialEvents: parseBool(q.get('sendInitialEvents')),
      table: table.wantsTable(req),
      includeObject: q.get('includeObject'),
    };
    if (opts.resourceVersion && opts.resourceVersion !== '0') parseRV(opts.resourceVersion, 'watch');
    this.hub.serve(req, res, info.resource, r.ns, opts);
  }

  // --- write verbs --------------------------------------------------------

  decodeBody(req, body, info, what, q, res) {
    const ctype = (req.headers['content-type'] || 'application/json').split(';')[0].trim().toLowerCase();
    const text = body ? body.toString('utf8') : '';
    let obj;
    if (ctype === 'application/json') {
      try {
        obj = JSON.parse(text);
      } catch (e) {
        throw errors.badRequest(`the object provided is unrecognized: couldn't get version/kind; json parse error: ${goJSONError(text)}`);
      }
    } else if (ctype === 'application/yaml') {
      try {
        obj = patchlib.parseYAML(text);
      } catch (e) {
        throw errors.badRequest(e.message);
      }
    } else if (ctype === 'application/vnd.kubernetes.protobuf' && body) {
      try {
        obj = protobuf.decode(body);
      } catch (e) {
        throw errors.badRequest(`the object provided is unrecognized: ${e.message}`);
      }
      if (!obj) {
        throw new ApiError(415, 'UnsupportedMediaType', `the simulator decodes protobuf only for Namespace; send ${info.kind} as application/json`);
      }
    } else {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
    }
    this.validateFields(q, res, info, obj, what === 'update' ? 'UpdateOptions' : 'CreateOptions');
    return this.checkObject(obj, info, what);
  }

  // ?fieldValidation: unknown fields are dropped (Ignore), dropped with a
  // Warning header each (Warn, the default) or refused (Strict). Another
  // value is an invalid Create/Update/PatchOptions (422), as the real
  // handlers validate the request's options before the body.
  validateFields(q, res, info, obj, optionsKind = 'PatchOptions') {
    const mode = q.get('fieldValidation') || 'Warn';
    if (!['Ignore', 'Warn', 'Strict'].includes(mode)) {
      throw errors.invalid({kind: optionsKind, group: 'meta.k8s.io'}, '', [{type: 'FieldValueNotSupported',
        field: 'fieldValidation', message: `Unsupported value: "${mode}": supported values: "", "Ignore", "Strict", "Warn"`}]);
    }
    const unknown = fieldsLib.prune(info.resource, obj);
    if (unknown.length === 0 || mode === 'Ignore') return;
    if (mode === 'Strict') {
      // As the real handler words it (endpoints/handlers/rest.go): "<Kind> in version "v1" cannot be handled as a <Kind>: ...".
      throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ` +
                              `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    res.setHeader('Warning', unknown.map((f) => `299 - "unknown field \\"${f}\\""`));
  }

  checkObject(obj, info, what) {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      throw errors.badRequest(`the object provided is unrecognized: couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(obj) ? 'array' : typeof obj} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== info.apiVersion) {
      throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${info.apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== info.kind && !(what === 'delete')) {
      throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ` +
                              `the kind in the data (${obj.kind}) does not match the expected kind`);
    }
    if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== 'object')) {
      throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ` +
                              `json: cannot unmarshal ${typeof obj.metadata} into Go struct field ${info.kind}.metadata of type v1.ObjectMeta`);
    }
    const o = clone(obj);
    delete o.kind;
    delete o.apiVersion;
    o.metadata = o.metadata || {};
    return o;
  }

  checkNamespace(r, obj) {
    if (!r.info.namespaced) return;
    if (obj.metadata.namespace && obj.metadata.namespace !== r.ns) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const ns = this.store.peek('namespaces', '', r.ns);
    if (!ns) throw errors.notFound(lookup('namespaces'), r.ns);
    return ns;
  }

  dryRun(q) {
    const d = q.getAll('dryRun');
    for (const v of d) {
      if (v !== 'All') {
        throw errors.invalid({kind: 'CreateOptions', group: 'meta.k8s.io'}, '', [{type: 'FieldValueNotSupported',
          field: 'dryRun', message: `Unsupported value: "${v}": supported values: "All"`}]);
      }
    }
    return d.length > 0;
  }

  createObject(r, q, obj, manager, operation) {
    const config = operation === 'Apply' ? clone(obj) : null;
    const nsObj = this.checkNamespace(r, obj);
    // etcd3 store Create: a plain error, so a reason-less 500 (kubernetes#62836).
    const rv = obj.metadata.resourceVersion;
    if (typeof rv === 'string' && /^[0-9]+$/.test(rv) && Number(rv) !== 0) {
      throw new ApiError(500, undefined, 'resourceVersion should not be set on objects to be created');
    }
    delete obj.metadata.resourceVersion;
    if (nsObj && nsObj.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `${r.info.resource} "${obj.metadata.name || ''}" is forbidden: unable to ` +
        `create new content in namespace ${r.ns} because it is being terminated`, {name: obj.metadata.name,
        kind: r.info.resource, causes: [{reason: 'NamespaceTerminating', message: `namespace ${r.ns} is being terminated`,
          field: 'metadata.namespace'}]});
    }
    strategy.prepareCreate(r.info, obj);
    if (config) managed.recordApply(null, obj, config, manager, r.info.apiVersion, undefined, []);
    else managed.recordUpdate(null, obj, manager, r.info.apiVersion, undefined);
    if (this.dryRun(q)) {
      const m = obj.metadata;
      if (!m.name && m.generateName) m.name = m.generateName + 'dryrn';
      m.uid = require('node:crypto').randomUUID();
      m.creationTimestamp = nowRFC3339();
      if (r.info.namespaced) m.namespace = r.ns;
      return obj;
    }
    return this.store.create(r.info.resource, r.ns, obj);
  }

  create(req, res, r, q, body) {
    const obj = this.decodeBody(req, body, r.info, 'create', q, res);
    const manager = q.get('fieldManager') || managerFromAgent(req);
    const stored = this.createObject(r, q, obj, manager, 'Update');
    this.sendObject(req, res, 201, r.info, stored);
  }

  // Shared by PUT and PATCH: optimistic concurrency, strategy, store write.
  // apply: {config, forced} for server-side apply.
  commitUpdate(r, q, cur, next, manager, apply) {
    const {info} = r;
    const m = next.metadata || (next.metadata = {});
    if (m.name !== undefined && m.name !== r.name) {
      throw errors.badRequest(`the name of the object (${m.name}) does not match the name on the URL (${r.name})`);
    }
    m.name = r.name;
    if (info.namespaced) {
      if (m.namespace && m.namespace !== r.ns) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = r.ns;
    }
    const rv = m.resourceVersion;
    if (!rv && !info.allowUnconditionalUpdate) {
      throw errors.invalid(info, r.name, [{type: 'FieldValueInvalid', field: 'metadata.resourceVersion',
        message: 'Invalid value: 0x0: must be specified for an update'}]);
    }
    if (rv && rv !== cur.metadata.resourceVersion) throw errors.optimisticLock(info, r.name);
    if (m.uid && m.uid !== cur.metadata.uid) {
      throw errors.conflict(info, r.name, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    const prepared = r.sub === 'status' ? strategy.prepareStatusUpdate(info, cur, next) :
      r.sub === 'finalize' ? finalizeUpdate(cur, next) : strategy.prepareUpdate(info, clone(cur), next);
    if (apply) managed.recordApply(cur, prepared, apply.config, manager, info.apiVersion, r.sub, apply.forced);
    else managed.recordUpdate(cur, prepared, manager, info.apiVersion, r.sub);
    if (this.dryRun(q)) return {...prepared, metadata: {...prepared.metadata, resourceVersion: cur.metadata.resourceVersion}};
    return this.store.update(info.resource, r.ns, r.name, () => prepared);
  }

  update(req, res, r, q, body) {
    const obj = this.decodeBody(req, body, r.info, 'update', q, res);
    if (obj.metadata.name !== undefined && obj.metadata.name !== r.name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${r.name})`);
    }
    const cur = this.store.peek(r.info.resource, r.ns, r.name);
    if (!cur) {
      if (r.info.resource === 'events' && !r.sub) {
        obj.metadata.name = obj.metadata.name || r.name;
        return this.sendObject(req, res, 201, r.info, this.createObject(r, q, obj, q.get('fieldManager'), 'Update'));
      }
      throw errors.notFound(r.info, r.name);
    }
    const out = this.commitUpdate(r, q, cur, obj, q.get('fieldManager') || managerFromAgent(req));
    this.sendObject(req, res, 200, r.info, out);
  }

  patch(req, res, r, q, body) {
    const {info} = r;
    const ctype = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    const types = ['application/json-patch+json', 'application/merge-patch+json',
      'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
    const apply = ctype === 'application/apply-patch+yaml';
    const causes = [];
    if (q.has('force') && !apply) causes.push(forbiddenCause('force', 'may not be specified for non-apply patch'));
    if (apply && !q.get('fieldManager')) {
      causes.push({type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch'});
    }
    if (!types.includes(ctype)) throw errors.unsupportedMediaType(ctype);
    if (causes.length) throw errors.invalid(PATCH_OPTIONS, '', causes);
    const text = body ? body.toString('utf8') : '';
    if (apply) return this.applyPatch(req, res, r, q, text);
    const cur = this.mustGet(info, r.ns, r.name);
    const doc = withKind(info, clone(cur));
    let patched;
    try {
      patched = this.applyPatchBody(ctype, doc, text);
    } catch (e) {
      if (!(e instanceof patchlib.PatchError)) throw e;
      if (e.kind === 'decode') throw errors.badRequest(e.message);
      // The apiserver's NewGenericServerResponse(422, ..., isUnexpectedResponse=false):
      // the library's message (e.message) is dropped and details stay empty.
      throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
    }
    this.validateFields(q, res, info, patched);
    const next = this.checkObject(patched, info, 'patch');
    const manager = q.get('fieldManager') || managerFromAgent(req);
    const out = this.commitUpdate(r, q, cur, next, manager);
    this.sendObject(req, res, 200, info, out);
  }

  applyPatchBody(ctype, doc, text) {
    if (ctype === 'application/json-patch+json') {
      let ops;
      try {
        ops = JSON.parse(text);
      } catch (e) {
        throw new patchlib.PatchError('decode', `error decoding patch: ${goJSONError(text)}`);
      }
      return patchlib.jsonPatch(doc, ops);
    }
    let p;
    try {
      p = JSON.parse(text);
    } catch (e) {
      if (ctype === 'application/merge-patch+json') throw new patchlib.PatchError('decode', 'Invalid JSON Patch');
      throw new patchlib.PatchError('decode', goJSONError(text));
    }
    if (ctype === 'application/merge-patch+json') return patchlib.mergePatch(doc, p);
    if (p === null || typeof p !== 'object' || Array.isArray(p)) {
      throw new patchlib.PatchError('decode', `json: cannot unmarshal ${Array.isArray(p) ? 'array' : p === null ? 'null' : typeof p} into Go value of type map[string]interface {}`);
    }
    return patchlib.strategicMergePatch(doc, p);
  }

  // Server-side apply: create-or-update. Fields are merged the strategic
  // way (lists by merge key); ownership is recorded in managedFields but
  // conflicts between managers are not detected.
  applyPatch(req, res, r, q, text) {
    const {info} = r;
    let cfg;
    try {
      cfg = patchlib.parseYAML(text);
    } catch (e) {
      throw errors.badRequest(e.message);
    }
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) {
      throw errors.badRequest('error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ' +
                              `${Array.isArray(cfg) ? 'array' : typeof cfg} into Go value of type map[string]interface {}`);
    }
    const manager = q.get('fieldManager');
    this.validateFields(q, res, info, cfg);
    const obj = this.checkObject(cfg, info, 'apply');
    if (obj.metadata.name !== undefined && obj.metadata.name !== r.name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${r.name})`);
    }
    const cur = this.store.peek(info.resource, r.ns, r.name);
    if (!cur) {
      if (r.sub) throw errors.notFound(info, r.name);
      obj.metadata.name = r.name;
      const stored = this.createObject(r, q, obj, manager, 'Apply');
      return this.sendObject(req, res, 201, info, stored);
    }
    const forced = managed.applyConflicts(cur, obj, manager, r.sub, parseBool(q.get('force')) === true);
    const merged = patchlib.strategicMergePatch(clone(cur), dropNulls(obj));
    managed.pruneApplied(merged, cur, manager, obj, r.sub);
    if (!obj.metadata.resourceVersion) merged.metadata.resourceVersion = cur.metadata.resourceVersion;
    const out = this.commitUpdate(r, q, cur, merged, manager, {config: obj, forced});
    this.sendObject(req, res, 200, info, out);
  }

  bind(res, r, body, req) {
    const info = r.info;
    const b = this.decodeBinding(body);
    const name = r.name || (b.metadata && b.metadata.name);
    const cur = this.mustGet(info, r.ns, name);
    const node = b.target && b.target.name;
    if (!node) {
      throw errors.invalid({kind: 'Binding'}, name, [{type: 'FieldValueRequired', field: 'target.name', message: 'Required value'}]);
    }
    if (cur.spec.nodeName) {
      throw errors.conflict(info, name, `pod ${name} is already assigned to node "${cur.spec.nodeName}"`);
    }
    if (cur.metadata.deletionTimestamp) throw errors.conflict(info, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    this.store.update(info.resource, r.ns, name, (o) => {
      o.spec.nodeName = node;
      const conds = (o.status.conditions || []).filter((c) => c.type !== 'PodScheduled');
      conds.push({type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowRFC3339()});
      o.status.conditions = conds;
      return o;
    });
    sendJSON(res, 201, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201});
  }

  decodeBinding(body) {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw errors.badRequest(`the object provided is unrecognized: couldn't get version/kind; json parse error: ${goJSONError(body.toString('utf8'))}`);
    }
  }

  // --- delete -------------------------------------------------------------

  deleteOptions(req, q, body) {
    const opts = {};
    const g = parseIntParam('gracePeriodSeconds', q.get('gracePeriodSeconds'));
    if (g !== undefined) opts.gracePeriodSeconds = g;
    if (q.get('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy');
    if (q.has('orphanDependents')) opts.orphanDependents = parseBool(q.get('orphanDependents'));
    if (q.getAll('dryRun').length) opts.dryRun = q.getAll('dryRun');
    const ctype = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    const text = body && ctype !== 'application/vnd.kubernetes.protobuf' ? body.toString('utf8').trim() : '';
    if (ctype === 'application/vnd.kubernetes.protobuf' && body && body.length) {
      // Typed clients (kubectl drain) send DeleteOptions as protobuf.
      let b;
      try {
        b = protobuf.decode(body);
      } catch (e) {
        throw errors.badRequest(`the object provided is unrecognized: ${e.message}`);
      }
      if (!b || b.kind !== 'DeleteOptions') throw errors.badRequest('the body of the request was not a DeleteOptions object');
      delete b.kind;
      delete b.apiVersion;
      Object.assign(opts, b);
    } else if (text) {
      let b;
      try {
        b = JSON.parse(text);
      } catch (e) {
        throw errors.badRequest(`couldn't get version/kind; json parse error: ${goJSONError(text)}`);
      }
      if (!b || typeof b !== 'object' || Array.isArray(b)) throw errors.badRequest('the body of the request was not a DeleteOptions object');
      Object.assign(opts, b);
    }
    const pp = opts.propagationPolicy;
    if (pp !== undefined && !['Orphan', 'Background', 'Foreground'].includes(pp)) {
      throw errors.invalid({kind: 'DeleteOptions', group: 'meta.k8s.io'}, '', [{type: 'FieldValueNotSupported',
        field: 'propagationPolicy', message: `Unsupported value: "${pp}": supported values: "Foreground", "Background", "Orphan", "nil"`}]);
    }
    return opts;
  }

  // DELETE preconditions, as the apiserver's BeforeDelete words them
  // (registry/rest/delete.go): the conflict names the Kind (group-qualified), not the resource.
  checkPreconditions(info, cur, pre) {
    if (!pre) return;
    const fail = (why) => errors.conflict({...info, resource: info.kind}, cur.metadata.name, why);
    if (pre.uid && pre.uid !== cur.metadata.uid) {
      throw fail(`the UID in the precondition (${pre.uid}) does not match the UID in record (${cur.metadata.uid}). ` +
                 'The object might have been deleted and then recreated');
    }
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw fail(`the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion ` +
                 `in record (${cur.metadata.resourceVersion}). The object might have been modified`);
    }
  }

  // Deletes one object; returns {code, body} to send.
  deleteOne(info, ns, name, opts) {
    const cur = this.mustGet(info, ns, name);
    this.checkPreconditions(info, cur, opts.preconditions);
    const dry = Array.isArray(opts.dryRun) && opts.dryRun.length > 0;
    if (info.resource === 'pods') return this.deletePod(info, cur, opts, dry);
    if (info.resource === 'namespaces') return this.deleteNamespace(info, cur, dry);
    const last = dry ? clone(cur) : this.store.remove(info.resource, ns, name);
    if (!dry && this.store.peek(info.resource, ns, name)) return {code: 200, body: withKind(info, last), obj: last};
    const details = {name, ...(info.group ? {group: info.group} : {}), kind: info.resource, uid: last.metadata.uid};
    return {code: 200, body: {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details}, obj: last};
  }

  deletePod(info, cur, opts, dry) {
    const {namespace: ns, name} = cur.metadata;
    let grace = opts.gracePeriodSeconds;
    if (grace === undefined || grace === null) grace = cur.spec.terminationGracePeriodSeconds;
    if (grace === undefined || grace === null) grace = 30;
    if (grace < 0) grace = 1;
    const phase = cur.status && cur.status.phase;
    if (!cur.spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
    const existing = cur.metadata.deletionGracePeriodSeconds;
    if (grace === 0 || (cur.metadata.deletionTimestamp && existing === 0)) {
      const last = dry ? clone(cur) : this.store.remove(info.resource, ns, name);
      this.cancelFinish(ns, name);
      return {code: 200, body: withKind(info, last), obj: last};
    }
    if (cur.metadata.deletionTimestamp && existing !== undefined && existing <= grace) {
      return {code: 200, body: withKind(info, cur), obj: cur};
    }
    const mutate = (o) => {
      o.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      o.metadata.deletionGracePeriodSeconds = grace;
      o.metadata.generation = (o.metadata.generation || 1) + 1;
      return o;
    };
    const out = dry ? mutate(clone(cur)) : this.store.update(info.resource, ns, name, mutate);
    if (!dry && this.options.finishDeletes) this.scheduleFinish(info, ns, name, out.metadata.uid, grace);
    return {code: 200, body: withKind(info, out), obj: out};
  }

  // Stands in for the kubelet when none is attached: removes the pod when
  // its grace period ends.
  scheduleFinish(info, ns, name, uid, grace) {
    this.cancelFinish(ns, name);
    const key = `${ns}/${name}`;
    const t = setTimeout(() => {
      this.deleteTimers.delete(key);
      const cur = this.store.peek(info.resource, ns, name);
      if (cur && cur.metadata.uid === uid) this.store.remove(info.resource, ns, name);
    }, grace * 1000 * (this.options.graceScale || 1));
    t.unref();
    this.deleteTimers.set(key, t);
  }

  cancelFinish(ns, name) {
    const key = `${ns}/${name}`;
    const t = this.deleteTimers.get(key);
    if (t) { clearTimeout(t); this.deleteTimers.delete(key); }
  }

  deleteNamespace(info, cur, dry) {
    const name = cur.metadata.name;
    if (dry) return {code: 200, body: withKind(info, cur), obj: cur};
    if (cur.metadata.deletionTimestamp) return {code: 200, body: withKind(info, cur), obj: cur};
    const out = this.store.update('namespaces', '', name, (o) => {
      o.metadata.deletionTimestamp = nowRFC3339();
      o.metadata.deletionGracePeriodSeconds = 0;
      o.status = {phase: 'Terminating'};
      return o;
    });
    setImmediate(() => this.finishNamespace(name));
    return {code: 200, body: withKind(info, out), obj: out};
  }

  finishNamespace(name) {
    for (const resource of ['pods', 'leases', 'events']) {
      for (const o of this.store.list(resource, name, {raw: true}).items) {
        if (o.metadata.deletionTimestamp && o.metadata.deletionGracePeriodSeconds === 0) continue;
        this.cancelFinish(name, o.metadata.name);
        this.store.remove(resource, name, o.metadata.name);
      }
    }
    const left = ['pods', 'leases', 'events'].some((r) => this.store.list(r, name, {raw: true}).items.length > 0);
    if (left) {
      // Objects held by finalizers keep the namespace Terminating.
      const t = setTimeout(() => this.finishNamespace(name), 100);
      t.unref();
      return;
    }
    if (this.store.peek('namespaces', '', name)) this.store.remove('namespaces', '', name);
  }

  remove(req, res, r, q, body) {
    const opts = this.deleteOptions(req, q, body);
    const out = this.deleteOne(r.info, r.ns, r.name, opts);
    sendJSON(res, out.code, out.body);
  }

  removeCollection(req, res, r, q, body) {
    const {info} = r;
    const opts = this.deleteOptions(req, q, body);
    const items = this.store.list(info.resource, r.ns || null, {labelSelector: q.get('labelSelector'),
      fieldSelector: selectors.parseFieldSelector(q.get('fieldSelector'), info), raw: true}).items;
    const deleted = [];
    for (const o of items) {
      try {
        deleted.push(this.deleteOne(info, o.metadata.namespace || '', o.metadata.name, opts).obj);
      } catch (e) {
        if (e.code !== 404) throw e;
      }
    }
    sendJSON(res, 200, {kind: info.listKind, apiVersion: info.apiVersion,
      metadata: {resourceVersion: this.store.currentRV()}, items: deleted});
  }
}

function finalizeUpdate(cur, next) {
  const out = clone(cur);
  out.spec = {...(cur.spec || {}), finalizers: (next.spec && next.spec.finalizers) || []};
  out.metadata.resourceVersion = next.metadata.resourceVersion;
  return out;
}

function dropNulls(v) {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) o[k] = dropNulls(x);
    return o;
  }
  return v;
}

function managerFromAgent(req) {
  const ua = req.headers['user-agent'] || '';
  return ua.split('/')[0] || undefined;
}

module.exports = {ApiServer, encodeContinue, decodeContinue, withKind};
