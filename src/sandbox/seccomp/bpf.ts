/**
 * A tiny classic-BPF assembler: the handful of instructions a seccomp filter needs (load a word
 * of seccomp_data, compare, jump, return), with symbolic labels resolved to the forward offsets
 * the kernel expects, and the output encoded as an array of struct sock_filter.
 *
 * It refuses what the kernel's checker (bpf_check_classic + seccomp_check_filter) would refuse,
 * with a message that names the instruction, instead of an EINVAL from seccomp(2) at job start.
 */
import { JobletError } from '../../shared/errors';

/** One struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }. */
export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Opcodes (linux/filter.h, linux/bpf_common.h): class | size | mode, class | op | source. */
export const OP = {
  /** BPF_LD | BPF_W | BPF_ABS: A = 32-bit word at byte offset k of seccomp_data. */
  LD_W_ABS: 0x20,
  /** BPF_JMP | BPF_JA: pc += k (unconditional, 32-bit offset). */
  JA: 0x05,
  /** BPF_JMP | BPF_JEQ | BPF_K: pc += (A == k) ? jt : jf. */
  JEQ: 0x15,
  /** BPF_JMP | BPF_JGT | BPF_K: unsigned A > k. */
  JGT: 0x25,
  /** BPF_JMP | BPF_JGE | BPF_K: unsigned A >= k. */
  JGE: 0x35,
  /** BPF_JMP | BPF_JSET | BPF_K: (A & k) != 0. */
  JSET: 0x45,
  /** BPF_RET | BPF_K: the filter's verdict is k. */
  RET_K: 0x06,
} as const;

/** Conditional jump offsets are u8 fields: at most 255 instructions forward. */
export const MAX_COND_JUMP = 255;
/** BPF_MAXINSNS: the kernel refuses longer programs. */
export const MAX_INSNS = 4096;

/** Where a conditional jump goes: a label, or the next instruction. */
export type Target = string | typeof NEXT;
/** Fall through to the next instruction (offset 0). */
export const NEXT = Symbol('next');

/** The program could not be assembled (a bug in the policy compiler, never a runtime condition). */
export class BpfAssemblyError extends JobletError {
  constructor(message: string) {
    super('INTERNAL', `seccomp program: ${message}`);
    this.name = 'BpfAssemblyError';
  }
}

type Pending =
  | { kind: 'insn'; code: number; k: number; jt?: Target; jf?: Target; ja?: string }
  | { kind: 'label'; name: string };

/** Builds a program instruction by instruction; assemble() resolves the labels. */
export class Assembler {
  private readonly items: Pending[] = [];

  /** A = the 32-bit word at `offset` in struct seccomp_data. */
  load(offset: number): this {
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0 || offset >= 64) {
      throw new BpfAssemblyError(`load offset ${offset} is not an aligned word of seccomp_data`);
    }
    return this.push(OP.LD_W_ABS, offset);
  }

  /** Jumps to `jt` if A == k, else to `jf`. */
  jeq(k: number, jt: Target, jf: Target = NEXT): this {
    return this.push(OP.JEQ, k, jt, jf);
  }

  /** Jumps to `jt` if A >= k (unsigned), else to `jf`. */
  jge(k: number, jt: Target, jf: Target = NEXT): this {
    return this.push(OP.JGE, k, jt, jf);
  }

  /** Jumps to `jt` if A > k (unsigned), else to `jf`. */
  jgt(k: number, jt: Target, jf: Target = NEXT): this {
    return this.push(OP.JGT, k, jt, jf);
  }

  /** Jumps to `jt` if any bit of k is set in A, else to `jf`. */
  jset(k: number, jt: Target, jf: Target = NEXT): this {
    return this.push(OP.JSET, k, jt, jf);
  }

  /** Always jumps to `label`. */
  ja(label: string): this {
    this.items.push({ kind: 'insn', code: OP.JA, k: 0, ja: label });
    return this;
  }

  /** Ends the filter with verdict k. */
  ret(k: number): this {
    return this.push(OP.RET_K, k);
  }

  /** Names the position of the next instruction. */
  label(name: string): this {
    this.items.push({ kind: 'label', name });
    return this;
  }

  /** Resolves labels into offsets; throws BpfAssemblyError for anything the kernel would refuse. */
  assemble(): Instruction[] {
    const at = new Map<string, number>();
    let pc = 0;
    for (const item of this.items) {
      if (item.kind === 'insn') pc++;
      else if (at.has(item.name)) throw new BpfAssemblyError(`label '${item.name}' is defined twice`);
      else at.set(item.name, pc);
    }
    if (pc === 0) throw new BpfAssemblyError('the program is empty');
    if (pc > MAX_INSNS) throw new BpfAssemblyError(`${pc} instructions, more than the kernel's ${MAX_INSNS}`);
    const out: Instruction[] = [];
    for (const item of this.items) {
      if (item.kind === 'label') continue;
      const here = out.length;
      // Classic BPF only jumps forward, relative to the instruction after the jump.
      const offset = (target: Target, max: number): number => {
        if (target === NEXT) return 0;
        const dest = at.get(target);
        if (dest === undefined) throw new BpfAssemblyError(`instruction ${here} jumps to undefined label '${target}'`);
        if (dest <= here) throw new BpfAssemblyError(`instruction ${here} jumps backwards to '${target}'`);
        if (dest >= pc) throw new BpfAssemblyError(`instruction ${here} jumps past the end to '${target}'`);
        const rel = dest - here - 1;
        if (rel > max) throw new BpfAssemblyError(`instruction ${here} jumps ${rel} forward to '${target}', more than ${max}`);
        return rel;
      };
      if (item.ja !== undefined) out.push({ code: item.code, jt: 0, jf: 0, k: offset(item.ja, MAX_INSNS) });
      else out.push({ code: item.code, jt: offset(item.jt ?? NEXT, MAX_COND_JUMP), jf: offset(item.jf ?? NEXT, MAX_COND_JUMP), k: item.k });
    }
    if (out[out.length - 1]?.code !== OP.RET_K) throw new BpfAssemblyError('the last instruction must be a return');
    return out;
  }

  private push(code: number, k: number, jt?: Target, jf?: Target): this {
    if (!Number.isInteger(k) || k < 0 || k > 0xffffffff) throw new BpfAssemblyError(`constant ${k} is not a u32`);
    this.items.push({ kind: 'insn', code, k, jt, jf });
    return this;
  }
}

/** The program as the kernel reads it: 8 bytes per instruction, little-endian. */
export function encode(program: readonly Instruction[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k, i * 8 + 4);
  });
  return buf;
}

/** The inverse of encode(), for tests and for inspecting a built program. */
export function decode(buf: Buffer): Instruction[] {
  if (buf.length % 8 !== 0) throw new BpfAssemblyError(`${buf.length} bytes is not a whole number of instructions`);
  const out: Instruction[] = [];
  for (let off = 0; off < buf.length; off += 8) {
    out.push({ code: buf.readUInt16LE(off), jt: buf.readUInt8(off + 2), jf: buf.readUInt8(off + 3), k: buf.readUInt32LE(off + 4) });
  }
  return out;
}
