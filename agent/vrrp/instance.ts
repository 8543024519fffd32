// Bridges a checked vrrp_instance (agent/config) to the state machine and the codec: router config, advert to send, what to accept.
import type { GlobalDefs, VrrpInstance } from '../config/schema.js';
import type { RouterConfig } from './fsm-types.js';
import { AUTH_NONE, AUTH_PASS, authDataFromPass, type Advert, type AdvertExpectation } from './packet.js';

/** Advertisement_Interval of an instance in centiseconds (check() has already rounded it). */
export function intervalCs(inst: VrrpInstance): number {
  return Math.round(inst.advertInt * 100);
}

/**
 * The state machine's settings for `inst`. `primaryAddress` is the address adverts are sent from:
 * unicast_src_ip if set, else the interface's primary address (IPv6: its link-local), which only
 * the runtime can look up.
 */
export function routerConfig(inst: VrrpInstance, primaryAddress: string): RouterConfig {
  return {
    name: inst.name,
    vrid: inst.vrid,
    version: inst.version,
    priority: inst.priority,
    advertIntervalCs: intervalCs(inst),
    preempt: !inst.nopreempt,
    preemptDelayMs: inst.preemptDelay * 1000,
    initialState: inst.state === 'MASTER' ? 'master' : 'backup',
    primaryAddress: inst.unicastSrcIp ?? primaryAddress,
    garp: {
      delayMs: inst.garp.masterDelay * 1000,
      repeat: inst.garp.masterRepeat,
      refreshMs: inst.garp.masterRefresh * 1000,
      refreshRepeat: inst.garp.masterRefreshRepeat,
    },
  };
}

/** The advert this instance sends with `priority` (encode it with encodeAdvert). */
export function advertFor(inst: VrrpInstance, priority: number): Advert {
  const pass = inst.version === 2 ? inst.authentication?.pass : undefined;
  return {
    version: inst.version,
    vrid: inst.vrid,
    priority,
    intervalCs: intervalCs(inst),
    addresses: inst.vips.map((v) => v.address),
    authType: pass === undefined ? AUTH_NONE : AUTH_PASS,
    authData: inst.version === 2 ? authDataFromPass(pass ?? '') : new Uint8Array(0),
  };
}

/** What validateAdvert must check for adverts addressed to this instance. */
export function advertExpectation(inst: VrrpInstance): AdvertExpectation {
  const pass = inst.version === 2 ? inst.authentication?.pass : undefined;
  return {
    version: inst.version,
    vrid: inst.vrid,
    intervalCs: intervalCs(inst),
    addresses: inst.vips.map((v) => v.address),
    authType: pass === undefined ? AUTH_NONE : AUTH_PASS,
    ...(pass === undefined ? {} : { authPass: pass }),
  };
}

/** Startup delay in milliseconds (global vrrp_startup_delay). */
export function startupDelayMs(g: GlobalDefs): number {
  return g.startupDelay * 1000;
}
