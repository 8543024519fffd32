// What exists on this machine now: a lab's namespaces and links, routes, subnets of other labs.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCidr, routeDestinations, type Ipv4Net } from './addressing.js';
import { ownLinks, ownNamespaces, parseLinkNames, parseNetnsList } from './net-plan.js';
import { runChecked } from './proc.js';
import { readLabState } from './state.js';
import type { LabTools } from './tools.js';

export async function listNamespaces(tools: LabTools): Promise<string[]> {
  return parseNetnsList(await runChecked(tools.ip, ['-j', 'netns', 'list'], { what: 'listing network namespaces' }));
}

export async function listLinks(tools: LabTools): Promise<string[]> {
  return parseLinkNames(await runChecked(tools.ip, ['-j', 'link', 'show'], { what: 'listing network links' }));
}

/** Namespaces and root-namespace links carrying this lab's names. */
export async function labLeftovers(tools: LabTools, lab: string): Promise<{ namespaces: string[]; links: string[] }> {
  const [namespaces, links] = await Promise.all([listNamespaces(tools), listLinks(tools)]);
  return { namespaces: ownNamespaces(lab, namespaces), links: ownLinks(lab, links) };
}

/** IPv4 destinations routed in any table (policy routing and VPNs included), default excepted. */
export async function routedNets(tools: LabTools): Promise<Ipv4Net[]> {
  const json = await runChecked(tools.ip, ['-j', '-4', 'route', 'show', 'table', 'all'], { what: 'listing routes' });
  return routeDestinations(json);
}

/** Subnets recorded by the other labs under root (a lab whose bridge is down has no route yet). */
export function otherLabSubnets(root: string, except: string): { net: Ipv4Net; lab: string }[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: { net: Ipv4Net; lab: string }[] = [];
  for (const name of names) {
    if (name === except || name.startsWith('.')) continue;
    const state = readLabState(join(root, name, 'state.json'));
    if (state === undefined || typeof state === 'string') continue;
    const net = parseCidr(state.subnet);
    if (typeof net !== 'string') out.push({ net, lab: name });
  }
  return out;
}
