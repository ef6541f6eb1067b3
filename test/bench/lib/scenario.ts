/** The contract of a benchmark scenario (one file in test/bench/, registered in run.ts). */
export interface ScenarioArgs {
  /** Input size override. */
  lines?: number;
  /** Repetitions per measured configuration (medians are reported). */
  reps?: number;
  /** Scenario-specific subset of configurations (e.g. `full,extract`). */
  only?: string[];
  /** Measured phase length, s (latency: injection time; burst: burst and outage length). */
  seconds?: number;
  /** Event rate of the measured stream, per s (latency: stamped incidents). */
  rate?: number;
  /** Background load, records per s (latency, burst). */
  background?: number;
}

export interface Scenario {
  readonly description: string;
  /** Returns a JSON-serialisable result; run.ts adds the scenario name, time and machine. */
  run(args: ScenarioArgs): Promise<Record<string, unknown>>;
}
