// Input: a lab status. Output: the status table and the hint printed after `up`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStatusTable, formatUpNextSteps } from '../../../cli/lab/report.js';
import type { LabStatus } from '../../../cli/lab/status.js';

const status: LabStatus = {
  name: 'lab',
  phase: 'up',
  subnet: '10.254.0.0/24',
  workstation: '10.254.0.1',
  bridge: 'hb-lab',
  stateDir: '/var/lib/haup/lab/lab',
  keyPath: '/var/lib/haup/lab/lab/id_ed25519',
  knownHostsPath: '/var/lib/haup/lab/lab/known_hosts',
  inventoryPath: '/var/lib/haup/lab/lab/inventory.yml',
  healthy: false,
  hosts: [
    { index: 1, name: 'h1', address: '10.254.0.11', ns: 'haup-lab-h1', sshdPid: 100, sshdRunning: true, nginxPid: 101, nginxRunning: true },
    { index: 2, name: 'h2', address: '10.254.0.12', ns: 'haup-lab-h2', sshdPid: 200, sshdRunning: false, nginxPid: undefined, nginxRunning: false },
  ],
};

describe('lab report', () => {
  test('the status table has a row per host with aligned columns and marks what is down', () => {
    const lines = formatStatusTable(status).split('\n');
    assert.match(lines[0] ?? '', /^lab lab: 2 host\(s\) on 10\.254\.0\.0\/24, workstation 10\.254\.0\.1 on hb-lab$/);
    const header = lines.findIndex((l) => l.startsWith('HOST'));
    assert.equal(lines[header], 'HOST  ADDRESS      NAMESPACE    SSHD         NGINX');
    assert.equal(lines[header + 1], 'h1    10.254.0.11  haup-lab-h1  100 running  101 running');
    assert.equal(lines[header + 2], 'h2    10.254.0.12  haup-lab-h2  200 DOWN     - DOWN');
  });

  test('after up it shows an ssh command line for the first host', () => {
    assert.match(
      formatUpNextSteps(status, false),
      /ssh -i \/var\/lib\/haup\/lab\/lab\/id_ed25519 -o UserKnownHostsFile=\/var\/lib\/haup\/lab\/lab\/known_hosts root@10\.254\.0\.11 hostname/,
    );
    assert.match(formatUpNextSteps(status, true), /already up with 2 host\(s\); nothing changed/);
    assert.match(formatUpNextSteps(status, false), /^deploy to it: haup deploy \/var\/lib\/haup\/lab\/lab\/inventory\.yml; remove the lab: haup lab down --name lab$/m);
  });
});
