// Parsed keepalived.conf instances for runtime unit tests (through the real parser and checks).
import { parseConfig } from '../../../../agent/config/check.js';
import type { HaupConfig, VrrpInstance } from '../../../../agent/config/schema.js';

export function config(text: string): HaupConfig {
  const { config, diagnostics } = parseConfig(text, '/etc/haup/keepalived.conf', () => {
    throw new Error('no includes in tests');
  });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((d) => d.message).join('\n'));
  return config;
}

export function instance(body: string, name = 'VI_1', prelude = ''): VrrpInstance {
  const c = config(`${prelude}\nvrrp_instance ${name} {\n${body}\n}\n`);
  return c.instances[0] as VrrpInstance;
}

export const BASIC = `
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.100/24 dev eth0 label eth0:0
  }`;
