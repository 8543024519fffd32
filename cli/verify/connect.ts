// Connects to every host of a `haup status` / `haup verify` run at once (deploy's pools: one SSH connection
// per host), keeping each host's failure as its answer instead of throwing.
import { HaupError } from '../errors.js';
import type { Connections } from '../deploy/connect.js';
import type { HostModel } from '../inventory/model.js';
import type { Transport } from '../transport/transport.js';

export async function connectAll(conns: Pick<Connections, 'connect'>, hosts: readonly HostModel[]): Promise<Map<string, Transport | HaupError>> {
  const out = new Map<string, Transport | HaupError>();
  await Promise.all(
    hosts.map(async (h) => {
      try {
        out.set(h.id, await conns.connect(h));
      } catch (err) {
        out.set(h.id, err instanceof HaupError ? err : new HaupError('HAUP_SSH', `${h.id}: ${(err as Error).message}`, { cause: err }));
      }
    }),
  );
  return out;
}
