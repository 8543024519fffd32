// Link state of every interface some instance tracks, kept current by one netlink watcher per interface.
import type { CheckStatus } from '../checks/hysteresis.js';
import { linkStateOf, watchLink, type LinkState, type LinkWatcher } from '../net/link-watch.js';
import type { InterfaceInfo } from '../net/vips.js';

interface Watched {
  watcher: LinkWatcher;
  usable: boolean | undefined;
  /** ifindex while the interface exists: a new one means it was deleted and created again. */
  ifindex: number | undefined;
}

export type LinkWatchFactory = typeof watchLink;

export class LinkPool {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly onChange: (ifname: string, state: LinkState) => void,
    private readonly onError: (ifname: string, err: Error) => void,
    private readonly watch: LinkWatchFactory = watchLink,
  ) {}

  /** 'up' when administratively up with carrier, 'down' otherwise (also when missing), 'init' before the first reading. */
  status(ifname: string): CheckStatus {
    const u = this.watched.get(ifname)?.usable;
    return u === undefined ? 'init' : u ? 'up' : 'down';
  }

  /**
   * Watches exactly `ifnames`; onChange hears when one becomes usable or unusable, or exists again
   * with a new ifindex (deleted and created again between two readings). `known` holds fresh `ip -j addr` readings: an interface found there
   * starts with that state (absent from it = not read yet, or missing if listed in `missing`).
   */
  sync(ifnames: Iterable<string>, known: ReadonlyMap<string, InterfaceInfo>, missing: ReadonlySet<string> = new Set()): void {
    const want = new Set(ifnames);
    for (const [name, w] of this.watched) {
      if (want.has(name)) continue;
      w.watcher.stop();
      this.watched.delete(name);
    }
    for (const name of want) {
      if (this.watched.has(name)) continue;
      const info = known.get(name);
      const entry: Watched = {
        watcher: undefined as unknown as LinkWatcher,
        usable: info ? linkStateOf(name, info).usable : missing.has(name) ? false : undefined,
        ifindex: info?.ifindex,
      };
      this.watched.set(name, entry);
      entry.watcher = this.watch(
        name,
        (state) => {
          if (!linkChanged(entry, state)) return;
          entry.usable = state.usable;
          if (state.exists) entry.ifindex = state.ifindex;
          this.onChange(name, state);
        },
        { onError: (err) => this.onError(name, err) },
      );
    }
  }

  stopAll(): void {
    for (const w of this.watched.values()) w.watcher.stop();
    this.watched.clear();
  }
}

/** Usable changed, or the interface exists with another ifindex than last seen. */
export function linkChanged(seen: { usable: boolean | undefined; ifindex: number | undefined }, state: LinkState): boolean {
  return seen.usable !== state.usable || (state.exists && seen.ifindex !== undefined && seen.ifindex !== state.ifindex);
}
