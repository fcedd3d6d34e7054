'use strict';
// Kubernetes Status objects and the ApiError that carries one.
//
// Every failure inside the simulator is thrown as an ApiError; the HTTP layer
// renders it with toStatus() in the apiserver's wire form (field order of
// metav1.Status: kind, apiVersion, metadata, status, message, reason,
// details, code). Builders below reproduce the apiserver's exact messages
// (apimachinery pkg/api/errors) so clients see the same bytes as on a real
// cluster.

class ApiError extends Error {
  // code: HTTP status; reason: StatusReason ("NotFound", ...); details: the
  // Status.details object or undefined. extra: {retryAfter, listMeta}.
  constructor(code, reason, message, details, extra) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.extra = extra || {};
  }

  toStatus() {
    const s = {kind: 'Status', apiVersion: 'v1', metadata: this.extra.listMeta || {}, status: 'Failure'};
    s.message = this.message;
    s.reason = this.reason;
    if (this.details) s.details = this.details;
    s.code = this.code;
    return s;
  }
}

// details.{name,group,kind} in that order; group omitted for the core group.
function qualified(info, name) {
  const d = {};
  if (name !== undefined) d.name = name;
  if (info.group) d.group = info.group;
  d.kind = info.resource;
  return d;
}

function resName(info) {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

const errors = {
  notFound(info, name) {
    return new ApiError(404, 'NotFound', `${resName(info)} "${name}" not found`, qualified(info, name));
  },
  alreadyExists(info, name, beingDeleted) {
    const prefix = beingDeleted ? 'object is being deleted: ' : '';
    return new ApiError(409, 'AlreadyExists', `${prefix}${resName(info)} "${name}" already exists`,
                        qualified(info, name));
  },
  conflict(info, name, why) {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${resName(info)} "${name}": ${why}`,
                        qualified(info, name));
  },
  optimisticLock(info, name) {
    return errors.conflict(info, name,
                           'the object has been modified; please apply your changes to the latest version and try again');
  },
  badRequest(message) {
    return new ApiError(400, 'BadRequest', message);
  },
  // causes: [{type, message, field}] where type is the FieldValue* reason.
  invalid(kindInfo, name, causes) {
    const list = causes.map((c) => `${c.field}: ${c.message}`);
    const text = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    const details = {};
    if (name) details.name = name;
    if (kindInfo.group) details.group = kindInfo.group;
    details.kind = kindInfo.kind;
    details.causes = causes.map((c) => ({reason: c.type, message: c.message, field: c.field}));
    const qual = kindInfo.group ? `${kindInfo.kind}.${kindInfo.group}` : kindInfo.kind;
    return new ApiError(422, 'Invalid', `${qual} "${name || ''}" is invalid: ${text}`, details);
  },
  expired(message, listMeta) {
    return new ApiError(410, 'Expired', message, undefined, {listMeta});
  },
  tooLargeRV(requested, current) {
    return new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
      causes: [{reason: 'ResourceVersionTooLarge', message: 'Too large resource version'}],
      retryAfterSeconds: 1,
    }, {retryAfter: 1});
  },
  unauthorized() {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(user, verb, info, ns, name) {
    const target = name !== undefined ? `${resName(info)} "${name}"` : resName(info);
    const where = ns ? `in the namespace "${ns}"` : 'at the cluster scope';
    const msg = `${target} is forbidden: User "${user}" cannot ${verb} resource "${info.resource}" ` +
                `in API group "${info.group || ''}" ${where}`;
    return new ApiError(403, 'Forbidden', msg, qualified(info, name));
  },
  methodNotAllowed(verb, info) {
    return new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`,
                        info ? qualified(info) : undefined);
  },
  unsupportedMediaType(type) {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`, undefined);
  },
  pathNotFound() {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  internal(message) {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`,
                        {causes: [{message}]});
  },
};

module.exports = {ApiError, errors};
