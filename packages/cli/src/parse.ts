/**
 * Typed parsers for option and argument values. Commander reports a thrown
 * InvalidArgumentError as one line naming the option, and the CLI exits with the usage code.
 */
import { InvalidArgumentError } from 'commander';

function integer(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`${what} must be a whole number.`);
  const value = Number(text);
  if (value < min || value > max) throw new InvalidArgumentError(`${what} must be from ${min} to ${max}.`);
  return value;
}

export function parsePort(text: string): number {
  return integer(text, 'A port', 1, 65535);
}

/** Milliseconds, at least 1. */
export function parseMs(text: string): number {
  return integer(text, 'A duration in ms', 1, 2 ** 31 - 1);
}

export function parsePositiveInt(text: string): number {
  return integer(text, 'The value', 1, Number.MAX_SAFE_INTEGER);
}

/** A record version: a whole number, 0 or more. */
export function parseVersion(text: string): number {
  return integer(text, 'A version', 0, Number.MAX_SAFE_INTEGER);
}

/** A comma-separated list of positive whole numbers (`1,64`). */
export function parseIntList(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InvalidArgumentError('Expected numbers separated by commas.');
  return items.map((s) => integer(s, 'Each number', 1, 100_000));
}

/** A JSON object (connector options). */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('Not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError('Expected a JSON object ({"name": value, …}).');
  }
  return value as Record<string, unknown>;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'off'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
