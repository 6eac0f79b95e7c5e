import { readFileSync, readdirSync } from 'node:fs';

/** Each thread of this process (Linux) and its nice value, by thread id. */
export function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      // Fields after the command name, which is in parentheses and may hold spaces: the 17th of
      // them (field 19 of proc(5)) is the nice value.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      nices.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nices;
}
