// Input: lab names and host indexes. Output: the derived names and the checks `down` relies on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_HOSTS,
  MAX_IFNAME_LENGTH,
  bridgeName,
  hostCountProblem,
  labNameProblem,
  linkRole,
  namespaceIndex,
  namespaceName,
  vethName,
} from '../../../cli/lab/names.js';

describe('lab names', () => {
  test('accepts 1 to 8 lowercase letters and digits and rejects anything else', () => {
    for (const ok of ['lab', 'a', 't1a', '12345678']) assert.equal(labNameProblem(ok), undefined, ok);
    for (const bad of ['', 'Lab', 'my-lab', 'abcdefghi', 'a b', 'é', '../x']) assert.match(labNameProblem(bad) ?? '', /1 to 8 characters/, bad);
  });

  test('keeps every interface name within IFNAMSIZ for the longest name and host number', () => {
    const longest = 'abcdefgh';
    assert.equal(vethName(longest, MAX_HOSTS), 'hv-abcdefgh-200');
    assert.ok(vethName(longest, MAX_HOSTS).length <= MAX_IFNAME_LENGTH);
    assert.ok(bridgeName(longest).length <= MAX_IFNAME_LENGTH);
  });

  test('derives namespace, bridge and veth names from the lab name', () => {
    assert.equal(namespaceName('lab', 3), 'haup-lab-h3');
    assert.equal(bridgeName('lab'), 'hb-lab');
    assert.equal(vethName('lab', 12), 'hv-lab-12');
  });

  test('recognises only its own namespaces, not those of a lab whose name extends it', () => {
    assert.equal(namespaceIndex('lab', 'haup-lab-h7'), 7);
    assert.equal(namespaceIndex('lab', 'haup-lab2-h7'), undefined);
    assert.equal(namespaceIndex('lab', 'haup-lab-h7x'), undefined);
    assert.equal(namespaceIndex('lab', 'haup-lab-h0'), undefined);
    assert.equal(namespaceIndex('lab', 'haup-lab-h'), undefined);
    assert.equal(namespaceIndex('lab', 'other'), undefined);
  });

  test('tells its bridge and veths apart from other links', () => {
    assert.equal(linkRole('lab', 'hb-lab'), 'bridge');
    assert.equal(linkRole('lab', 'hv-lab-2'), 'veth');
    assert.equal(linkRole('lab', 'hv-lab2-2'), undefined);
    assert.equal(linkRole('lab', 'hb-lab2'), undefined);
    assert.equal(linkRole('lab', 'eth0'), undefined);
  });

  test('allows 1 to 200 hosts', () => {
    assert.equal(hostCountProblem(1), undefined);
    assert.equal(hostCountProblem(200), undefined);
    for (const bad of [0, -1, 201, 2.5, NaN]) assert.match(hostCountProblem(bad) ?? '', /1 to 200/, String(bad));
  });
});
