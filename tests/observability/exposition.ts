/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4): every line must be a
 * HELP or TYPE comment, a blank line, or a sample `name{label="value",…} number`; anything else
 * throws, so a test reading metrics through it also proves the exposition is well formed.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const fail = (why: string) => new Error(`line ${i + 1}: ${why}: ${line}`);
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      const [, keyword, name, text] = m ?? [];
      if (!m || keyword === undefined || text === undefined) throw fail('comment is neither HELP nor TYPE');
      if (name === undefined || !NAME.test(name)) throw fail('bad metric name');
      if (keyword === 'TYPE') {
        if (!TYPES.has(text)) throw fail('unknown type');
        types.set(name, text);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    const [, name, , labelText, raw] = m ?? [];
    if (!m || name === undefined || raw === undefined) throw fail('not a sample');
    const labels: Record<string, string> = {};
    let rest = labelText ?? '';
    while (rest.length > 0) {
      const l = /^([^=]+)="((?:[^"\\]|\\.)*)",?/.exec(rest);
      const [whole, label, escaped] = l ?? [];
      if (whole === undefined || label === undefined || escaped === undefined || !LABEL_NAME.test(label)) {
        throw fail('bad label');
      }
      labels[label] = escaped.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      rest = rest.slice(whole.length);
    }
    // Prometheus reads values with Go's ParseFloat: NaN and ±Inf in any case.
    const special: Record<string, number> = { nan: Number.NaN, '+inf': Infinity, inf: Infinity, '-inf': -Infinity };
    const value = special[raw.toLowerCase()] ?? Number(raw);
    if (Number.isNaN(value) && raw.toLowerCase() !== 'nan') throw fail('value is not a number');
    samples.push({ name, labels, value });
  }
  return { samples, types };
}

/** The one sample with this name whose labels include `labels`; undefined when there is none. */
export function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0];
}
