import { BaseError, messageOf } from './errors.js';

/** A metric family's Prometheus type. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One value of every declared label of a metric. */
export type Labels<L extends string> = Readonly<Record<L, string | number>>;

/** One sample line of a family: `<name><suffix>{labels} value`. */
export interface Sample {
  readonly suffix?: '_bucket' | '_sum' | '_count';
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family a Registry can expose; `collect` brings it up to date and returns its samples at scrape time. */
export interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  collect(): readonly Sample[] | Promise<readonly Sample[]>;
}

/** A metric was declared or used against its definition, or could not be collected. */
export class MetricError extends BaseError {}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Metrics registered by name, rendered in the text exposition format 0.0.4. */
export class Registry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly collectors = new Map<string, Collector>();

  /** Adds a family; a second family with the same name is refused. */
  register(collector: Collector): void {
    if (this.collectors.has(collector.name)) {
      throw new MetricError('METRIC_DUPLICATE', `metric ${collector.name} is already registered in this registry; give the new metric another name or reuse the registered one`);
    }
    this.collectors.set(collector.name, collector);
  }

  /** The registered families, in registration order. */
  list(): { name: string; type: MetricType }[] {
    return [...this.collectors.values()].map((c) => ({ name: c.name, type: c.type }));
  }

  /**
   * Collects every family, one after another in registration order, and renders them all; rejects, naming the
   * family, when a collect fails.
   */
  async metrics(): Promise<string> {
    const lines: string[] = [];
    // one at a time, so that one family's reads and callbacks do not show in another's figures (lag, active resources)
    for (const c of this.collectors.values()) {
      let samples: readonly Sample[];
      try {
        samples = await c.collect();
      } catch (err) {
        throw new MetricError('METRIC_COLLECT_FAILED', `collecting metric ${c.name} failed: ${messageOf(err)}`, { cause: err });
      }
      lines.push(`# HELP ${c.name} ${escapeHelp(c.help)}`, `# TYPE ${c.name} ${c.type}`);
      for (const s of samples) lines.push(`${c.name}${s.suffix ?? ''}${renderLabels(s.labels)} ${formatValue(s.value)}`);
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}

/** A number as Prometheus parses it. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** What every metric is declared with. */
export interface MetricConfig<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Registers the metric there at once. */
  registry?: Registry;
}

interface Series<V> {
  labels: Record<string, string>;
  state: V;
}

/** Label checking and per-label-set state shared by Counter, Gauge and Histogram. */
abstract class LabelledMetric<L extends string, V> implements Collector {
  readonly name: string;
  readonly help: string;
  abstract readonly type: MetricType;
  protected readonly labelNames: readonly L[];
  private readonly series = new Map<string, Series<V>>();

  constructor(config: MetricConfig<L>, reserved: readonly string[] = []) {
    if (!METRIC_NAME.test(config.name)) {
      throw new MetricError('METRIC_INVALID', `metric name "${config.name}" is not a Prometheus name; use letters, digits, _ and : only, not starting with a digit`);
    }
    this.name = config.name;
    this.help = config.help;
    this.labelNames = [...(config.labelNames ?? [])];
    const seen = new Set<string>();
    for (const label of this.labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith('__')) {
        throw new MetricError('METRIC_INVALID', `metric ${this.name}: label name "${label}" is not a Prometheus label name; use letters, digits and _ only, not starting with a digit or __`);
      }
      if (reserved.includes(label)) throw new MetricError('METRIC_INVALID', `metric ${this.name}: label name "${label}" is reserved for this metric type; rename the label`);
      if (seen.has(label)) throw new MetricError('METRIC_INVALID', `metric ${this.name}: label "${label}" is declared twice; declare each label once`);
      seen.add(label);
    }
    config.registry?.register(this);
  }

  abstract collect(): readonly Sample[] | Promise<readonly Sample[]>;

  /** The state of the series `labels` names, created on first use; refuses unknown and missing labels. */
  protected entry(labels: Readonly<Record<string, string | number>> | undefined): V {
    const given = labels ?? {};
    for (const label of Object.keys(given)) {
      if (!(this.labelNames as readonly string[]).includes(label)) {
        throw new MetricError('METRIC_LABELS', `metric ${this.name} has no label "${label}" (its labels: ${this.declared()}); pass only those`);
      }
    }
    const values: Record<string, string> = {};
    for (const label of this.labelNames) {
      const value = (given as Record<string, string | number | undefined>)[label];
      if (value === undefined) throw new MetricError('METRIC_LABELS', `metric ${this.name} needs label "${label}" (its labels: ${this.declared()}); pass a value for each`);
      values[label] = String(value);
    }
    const key = JSON.stringify(this.labelNames.map((l) => values[l]));
    let series = this.series.get(key);
    if (series === undefined) {
      series = { labels: values, state: this.initial() };
      this.series.set(key, series);
    }
    return series.state;
  }

  /** Every series seen so far, in first-use order. */
  protected all(): Series<V>[] {
    // an unlabelled series shows (as zero) from the start; a labelled one only once its label set was used
    if (this.labelNames.length === 0 && this.series.size === 0) this.entry(undefined);
    return [...this.series.values()];
  }

  protected abstract initial(): V;

  private declared(): string {
    return this.labelNames.length === 0 ? 'none' : this.labelNames.join(', ');
  }
}

/** A value that only goes up. */
export class Counter<L extends string = never> extends LabelledMetric<L, { value: number }> {
  readonly type = 'counter';

  constructor(config: MetricConfig<L>) {
    super(config);
  }

  /** Adds `value` (default 1): a finite number, never negative. */
  inc(value?: number): void;
  inc(labels: Labels<L>, value?: number): void;
  inc(labelsOrValue?: Labels<L> | number, value?: number): void {
    const [labels, by] = typeof labelsOrValue === 'object' ? [labelsOrValue, value ?? 1] : [undefined, labelsOrValue ?? 1];
    if (!Number.isFinite(by) || by < 0) {
      throw new MetricError('METRIC_VALUE', `counter ${this.name} cannot be increased by ${by}: a counter only goes up by finite amounts; use a gauge for a figure that falls`);
    }
    this.entry(labels).value += by;
  }

  collect(): readonly Sample[] {
    return this.all().map((s) => ({ labels: s.labels, value: s.state.value }));
  }

  protected initial(): { value: number } {
    return { value: 0 };
  }
}

/** What a Gauge is declared with. */
export interface GaugeConfig<L extends string> extends MetricConfig<L> {
  /** Called at every scrape before rendering, to set the gauge from state owned elsewhere. */
  collect?: (this: Gauge<L>) => void | Promise<void>;
}

/** A value that goes up and down. */
export class Gauge<L extends string = never> extends LabelledMetric<L, { value: number }> {
  readonly type = 'gauge';
  private readonly refresh: ((this: Gauge<L>) => void | Promise<void>) | undefined;

  constructor(config: GaugeConfig<L>) {
    super(config);
    this.refresh = config.collect;
  }

  /** Sets the value. */
  set(value: number): void;
  set(labels: Labels<L>, value: number): void;
  set(labelsOrValue: Labels<L> | number, value?: number): void {
    const [labels, v] = typeof labelsOrValue === 'object' ? [labelsOrValue, value] : [undefined, labelsOrValue];
    // a collect callback that hands over undefined would render "undefined", and Prometheus drops the whole scrape
    if (typeof v !== 'number') throw new MetricError('METRIC_VALUE', `gauge ${this.name} cannot be set to ${String(v)}: pass a number`);
    this.entry(labels).value = v;
  }

  /** Adds `value` (default 1). */
  inc(value?: number): void;
  inc(labels: Labels<L>, value?: number): void;
  inc(labelsOrValue?: Labels<L> | number, value?: number): void {
    if (typeof labelsOrValue === 'object') this.entry(labelsOrValue).value += value ?? 1;
    else this.entry(undefined).value += labelsOrValue ?? 1;
  }

  /** Subtracts `value` (default 1). */
  dec(value?: number): void;
  dec(labels: Labels<L>, value?: number): void;
  dec(labelsOrValue?: Labels<L> | number, value?: number): void {
    if (typeof labelsOrValue === 'object') this.entry(labelsOrValue).value -= value ?? 1;
    else this.entry(undefined).value -= labelsOrValue ?? 1;
  }

  async collect(): Promise<readonly Sample[]> {
    await this.refresh?.call(this);
    return this.all().map((s) => ({ labels: s.labels, value: s.state.value }));
  }

  protected initial(): { value: number } {
    return { value: 0 };
  }
}

/** What a Histogram is declared with. */
export interface HistogramConfig<L extends string> extends MetricConfig<L> {
  /** Upper bounds of the buckets, finite and distinct, in any order; `+Inf` is always added. */
  buckets: readonly number[];
}

interface HistogramState {
  /** Observations per bucket, not cumulative; the last entry is the +Inf bucket. */
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram<L extends string = never> extends LabelledMetric<L, HistogramState> {
  readonly type = 'histogram';
  private readonly bounds: readonly number[];

  constructor(config: HistogramConfig<L>) {
    const bounds = [...config.buckets].sort((a, b) => a - b);
    for (const [i, bound] of bounds.entries()) {
      if (typeof bound !== 'number' || !Number.isFinite(bound)) {
        throw new MetricError('METRIC_INVALID', `histogram ${config.name}: bucket bound ${String(bound)} is not a finite number; list finite upper bounds only (+Inf is added)`);
      }
      if (i > 0 && bound === bounds[i - 1]) throw new MetricError('METRIC_INVALID', `histogram ${config.name}: bucket bound ${bound} is listed twice; list each bound once`);
    }
    super(config, ['le']);
    this.bounds = bounds;
  }

  /** Counts one observation (a finite number). */
  observe(value: number): void;
  observe(labels: Labels<L>, value: number): void;
  observe(labelsOrValue: Labels<L> | number, value?: number): void {
    const [labels, v] = typeof labelsOrValue === 'object' ? [labelsOrValue, value!] : [undefined, labelsOrValue];
    if (!Number.isFinite(v)) throw new MetricError('METRIC_VALUE', `histogram ${this.name} cannot observe ${v}: observations must be finite numbers`);
    const state = this.entry(labels);
    const i = this.bounds.findIndex((bound) => v <= bound);
    state.counts[i === -1 ? this.bounds.length : i]! += 1;
    state.sum += v;
    state.count += 1;
  }

  collect(): readonly Sample[] {
    const samples: Sample[] = [];
    for (const { labels, state } of this.all()) {
      let cumulative = 0;
      for (const [i, n] of state.counts.entries()) {
        cumulative += n;
        const le = i < this.bounds.length ? formatValue(this.bounds[i]!) : '+Inf';
        samples.push({ suffix: '_bucket', labels: { ...labels, le }, value: cumulative });
      }
      samples.push({ suffix: '_sum', labels, value: state.sum }, { suffix: '_count', labels, value: state.count });
    }
    return samples;
  }

  protected initial(): HistogramState {
    return { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }
}
