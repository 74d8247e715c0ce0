/**
 * Turns a Policy into a classic-BPF seccomp program. Layout:
 *
 *   load arch;  != native          → foreignArch verdict (kill)
 *   load nr;    >= X32_SYSCALL_BIT → x32 verdict
 *   unconditional rules, grouped by verdict: jeq nr → that group's return
 *   rules with an argument test: jeq nr; load the argument's low word; test; return
 *   return default (allow)
 *
 * A syscall may appear in only one rule, so an argument test that does not match can return the
 * default at once. Rules that depend on the number alone also let the kernel's seccomp action
 * cache (Linux ≥ 5.11) skip the filter entirely for every allowed call.
 */
import { Assembler, BpfAssemblyError, encode, type Instruction, MAX_COND_JUMP, NEXT } from './bpf';
import type { Action, ArgTest, Policy, Rule } from './policy';
import { NR_X86_64, SECCOMP_DATA, X32_SYSCALL_BIT } from './syscalls-x86_64';

/** SECCOMP_RET_* (linux/seccomp.h). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  ERRNO: 0x00050000,
  ALLOW: 0x7fff0000,
  DATA: 0x0000ffff,
} as const;

/** The 32-bit verdict a filter returns for an Action. */
export function verdict(action: Action): number {
  switch (action.kind) {
    case 'allow':
      return SECCOMP_RET.ALLOW;
    case 'kill-process':
      return SECCOMP_RET.KILL_PROCESS;
    case 'errno':
      if (!Number.isInteger(action.errno) || action.errno < 1 || action.errno > 4095) throw new BpfAssemblyError(`errno ${action.errno} out of range`);
      return (SECCOMP_RET.ERRNO | action.errno) >>> 0;
  }
}

/** The program for `policy`, as instructions; `numbers` maps the rules' syscall names to numbers. */
export function compilePolicy(policy: Policy, numbers: Readonly<Record<string, number>> = NR_X86_64): Instruction[] {
  const nr = (name: string): number => {
    const n = numbers[name];
    if (n === undefined) throw new BpfAssemblyError(`unknown syscall '${name}'`);
    return n;
  };
  checkUnique(policy.rules);
  const asm = new Assembler();
  const allow = verdict(policy.defaultAction);

  asm.load(SECCOMP_DATA.arch).jeq(policy.nativeArch, 'native-arch').ret(verdict(policy.foreignArch)).label('native-arch');
  // Unsigned compare: also catches nr = -1 (0xffffffff), which the kernel answers with ENOSYS too.
  asm.load(SECCOMP_DATA.nr).jge(X32_SYSCALL_BIT, NEXT, 'native-abi').ret(verdict(policy.x32)).label('native-abi');

  const groups = new Map<number, number[]>();
  for (const rule of policy.rules.filter((r) => !r.when)) {
    const k = verdict(rule.action);
    groups.set(k, [...(groups.get(k) ?? []), ...rule.syscalls.map(nr)]);
  }
  let block = 0;
  for (const [k, list] of groups) {
    list.sort((a, b) => a - b);
    // Conditional jumps reach at most 255 ahead: one return per chunk keeps every jeq in range.
    for (let i = 0; i < list.length; i += MAX_COND_JUMP) {
      const hit = `hit-${block}`;
      const after = `after-${block++}`;
      for (const n of list.slice(i, i + MAX_COND_JUMP)) asm.jeq(n, hit);
      asm.ja(after).label(hit).ret(k).label(after);
    }
  }

  for (const rule of policy.rules.filter((r) => r.when)) {
    for (const name of rule.syscalls) {
      const skip = `skip-${block}`;
      const match = `match-${block}`;
      const noMatch = `nomatch-${block++}`;
      asm.jeq(nr(name), NEXT, skip);
      emitArgTest(asm, rule.when as ArgTest, match, noMatch);
      asm.label(noMatch).ret(allow).label(match).ret(verdict(rule.action)).label(skip);
    }
  }
  asm.ret(allow);
  return asm.assemble();
}

/** The program for `policy`, encoded for seccomp(2). */
export function buildProgram(policy: Policy): Buffer {
  return encode(compilePolicy(policy));
}

/** Loads the argument's low word and jumps to `match` or `noMatch`; falling through means `noMatch`. */
function emitArgTest(asm: Assembler, test: ArgTest, match: string, noMatch: string): void {
  if (!Number.isInteger(test.arg) || test.arg < 0 || test.arg > 5) throw new BpfAssemblyError(`argument index ${test.arg} is not 0–5`);
  asm.load(SECCOMP_DATA.argLow(test.arg));
  if ('anyBitOf' in test) {
    asm.jset(test.anyBitOf, match);
  } else if ('oneOf' in test) {
    for (const v of test.oneOf) asm.jeq(v, match);
  } else {
    for (const v of test.noneOf) asm.jeq(v, noMatch);
    asm.ja(match);
  }
}

/** A second rule for the same call would be dead code or an ambiguity; refuse it. */
function checkUnique(rules: readonly Rule[]): void {
  const seen = new Set<string>();
  for (const rule of rules) {
    for (const name of rule.syscalls) {
      if (seen.has(name)) throw new BpfAssemblyError(`syscall '${name}' appears in more than one rule`);
      seen.add(name);
    }
  }
}
