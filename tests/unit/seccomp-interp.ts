/**
 * A classic-BPF interpreter for the seccomp unit tests: runs an encoded program against a fake
 * struct seccomp_data, reading the raw instruction fields the way the kernel does (it shares no
 * code with the assembler, so an encoding or offset mistake there shows up here).
 */

/** A fake system call as the filter sees it. */
export interface FakeCall {
  nr: number;
  arch: number;
  /** Up to six 64-bit arguments; missing ones are 0. */
  args?: Array<bigint | number>;
  ip?: bigint;
}

/** Runs `program` (bytes of struct sock_filter) on `call`; returns the 32-bit verdict. */
export function runFilter(program: Buffer, call: FakeCall): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr | 0, 0);
  data.writeUInt32LE(call.arch >>> 0, 4);
  data.writeBigUInt64LE(call.ip ?? 0x401000n, 8);
  (call.args ?? []).forEach((a, i) => data.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 16 + 8 * i));
  const count = program.length / 8;
  let a = 0;
  for (let pc = 0, steps = 0; steps <= count; steps++) {
    if (pc >= count) throw new Error(`fell off the end at ${pc}`);
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    const branch = (cond: boolean): number => pc + 1 + (cond ? jt : jf);
    switch (code) {
      case 0x20: // ld [k]
        if (k % 4 !== 0 || k + 4 > 64) throw new Error(`bad load offset ${k} at ${pc}`);
        a = data.readUInt32LE(k);
        pc++;
        break;
      case 0x05: // ja k
        pc = pc + 1 + k;
        break;
      case 0x15: // jeq #k
        pc = branch(a === k);
        break;
      case 0x25: // jgt #k
        pc = branch(a > k);
        break;
      case 0x35: // jge #k
        pc = branch(a >= k);
        break;
      case 0x45: // jset #k
        pc = branch((a & k) !== 0);
        break;
      case 0x06: // ret #k
        return k;
      default:
        throw new Error(`unknown opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('the program did not terminate (a backward jump?)');
}
