/** Start order (`after`) and restart binding (`binds_to`) between declared components, checked as a whole. */
import type { ConfigErrors } from "./validate.ts";

/** What the check reads of a component. */
interface Node {
  readonly name: string;
  readonly after: readonly string[];
  readonly bindsTo: readonly string[];
  readonly start: readonly string[] | null;
}

/**
 * `after` and `binds_to` name declared components that hamon starts, and never
 * form a cycle (a cycle would start nothing, or restart for ever).
 */
export function dependencies(components: readonly Node[], e: ConfigErrors): void {
  const byName = new Map(components.map((c) => [c.name, c]));
  components.forEach((c) => {
    for (const key of ["after", "binds_to"] as const) {
      for (const n of key === "after" ? c.after : c.bindsTo) {
        const d = byName.get(n);
        const at = `component '${c.name}'.${key}`;
        if (!d) e.add(at, "names no declared component", n);
        else if (n === c.name) e.add(at, "names the component itself", n);
        else if (!d.start) e.add(at, "names a component hamon does not start", n);
      }
    }
  });
  for (const key of ["after", "binds_to"] as const) {
    const state = new Map<string, 1 | 2>(); // 1 visiting, 2 done
    const visit = (c: Node, trail: string[]): void => {
      if (state.get(c.name) === 2) return;
      if (state.get(c.name) === 1) {
        e.add(key, "forms a cycle", [...trail.slice(trail.indexOf(c.name)), c.name].join(" → "));
        return;
      }
      state.set(c.name, 1);
      for (const n of key === "after" ? c.after : c.bindsTo) {
        const d = byName.get(n);
        if (d && d !== c) visit(d, [...trail, c.name]);
      }
      state.set(c.name, 2);
    };
    for (const c of components) visit(c, []);
  }
}
