'use strict';
// Unit tests for lib/table.js (kubectl's server-side printing).
const {describe, it} = require('node:test');
const assert = require('node:assert/strict');
const table = require('../../lib/table.js');
const {RESOURCES} = require('../../lib/resources.js');

describe('tables', () => {
  it('formats ages like Go duration.HumanDuration', () => {
    const cases = [[5e3, '5s'], [119e3, '119s'], [150e3, '2m30s'], [600e3, '10m'], [3 * 3600e3, '3h'],
      [3.5 * 3600e3, '3h30m'], [30 * 3600e3, '30h'], [3 * 86400e3, '3d'], [50 * 86400e3, '50d'], [800 * 86400e3, '2y70d']];
    for (const [ms, want] of cases) assert.equal(table.human(ms), want, String(ms));
  });

  it('renders pod rows with READY, STATUS and RESTARTS as kubectl shows them', () => {
    const now = new Date().toISOString();
    const pod = {metadata: {name: 'p', creationTimestamp: now}, spec: {containers: [{name: 'a'}, {name: 'b'}], nodeName: 'n1'},
      status: {phase: 'Running', podIP: '10.0.0.5', containerStatuses: [
        {name: 'a', ready: true, restartCount: 2, state: {running: {}}},
        {name: 'b', ready: false, restartCount: 1, state: {waiting: {reason: 'CrashLoopBackOff'}}}]}};
    const t = table.render(RESOURCES.pods, [pod], {resourceVersion: '7'});
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.columnDefinitions.map((c) => c.name).slice(0, 5), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    assert.deepEqual(t.rows[0].cells.slice(0, 4), ['p', '1/2', 'CrashLoopBackOff', '3']);
    assert.deepEqual(t.rows[0].cells.slice(5, 7), ['10.0.0.5', 'n1']);
    assert.equal(t.rows[0].object.kind, 'PartialObjectMetadata');
    const gone = {...pod, metadata: {...pod.metadata, deletionTimestamp: now}};
    assert.equal(table.render(RESOURCES.pods, [gone], {}).rows[0].cells[2], 'Terminating');
  });

  it('carries row objects per includeObject (Metadata by default, Object, None)', () => {
    const pod = {metadata: {name: 'p', creationTimestamp: new Date().toISOString()}, spec: {containers: []}, status: {phase: 'Pending'}};
    assert.equal(table.render(RESOURCES.pods, [pod], {}).rows[0].object.kind, 'PartialObjectMetadata');
    const full = table.render(RESOURCES.pods, [pod], {}, 'Object').rows[0].object;
    assert.deepEqual([full.kind, full.apiVersion, full.status.phase], ['Pod', 'v1', 'Pending']);
    assert.equal(table.render(RESOURCES.pods, [pod], {}, 'None').rows[0].object, undefined);
  });

  it('asks for tables only when the Accept header names meta.k8s.io Table', () => {
    assert.equal(table.wantsTable({headers: {accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'}}), true);
    assert.equal(table.wantsTable({headers: {accept: 'application/json'}}), false);
    assert.equal(table.wantsTable({headers: {}}), false);
  });
});
