/** The classic-BPF assembler: label resolution, encoding, and the programs it refuses. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Assembler, BpfAssemblyError, decode, encode, MAX_COND_JUMP, NEXT, OP } from '../../src/sandbox/seccomp/bpf';
import { runFilter } from './seccomp-interp';

const X86_64 = 0xc000003e;

test('labels resolve to forward offsets relative to the next instruction', () => {
  const prog = new Assembler()
    .load(4) // 0
    .jeq(X86_64, 'ok', NEXT) // 1
    .ret(0x80000000) // 2
    .label('ok')
    .load(0) // 3
    .jeq(39, 'hit', 'miss') // 4
    .label('miss')
    .ret(0x7fff0000) // 5
    .label('hit')
    .ret(0x00050001) // 6
    .assemble();
  assert.equal(prog, [
    { code: OP.LD_W_ABS, jt: 0, jf: 0, k: 4 },
    { code: OP.JEQ, jt: 1, jf: 0, k: X86_64 },
    { code: OP.RET_K, jt: 0, jf: 0, k: 0x80000000 },
    { code: OP.LD_W_ABS, jt: 0, jf: 0, k: 0 },
    { code: OP.JEQ, jt: 1, jf: 0, k: 39 },
    { code: OP.RET_K, jt: 0, jf: 0, k: 0x7fff0000 },
    { code: OP.RET_K, jt: 0, jf: 0, k: 0x00050001 },
  ]);
  const bytes = encode(prog);
  assert.is(bytes.length, 7 * 8);
  assert.is(bytes.subarray(8, 16).toString('hex'), '150001003e0000c0', 'u16 code, u8 jt, u8 jf, u32 k, little-endian');
  assert.equal(decode(bytes), prog);
  assert.is(runFilter(bytes, { nr: 39, arch: X86_64 }), 0x00050001);
  assert.is(runFilter(bytes, { nr: 40, arch: X86_64 }), 0x7fff0000);
  assert.is(runFilter(bytes, { nr: 39, arch: 0x40000003 }), 0x80000000);
});

test('ja takes a 32-bit offset; jge, jgt and jset branch as the kernel does', () => {
  const asm = new Assembler().load(16).jset(0x10000000, 'set').jge(100, 'ge').jgt(50, 'gt').ja('none');
  asm.label('set').ret(1).label('ge').ret(2).label('gt').ret(3).label('none').ret(4);
  const bytes = encode(asm.assemble());
  const verdict = (arg0: number): number => runFilter(bytes, { nr: 0, arch: X86_64, args: [arg0] });
  assert.is(verdict(0x10000011), 1);
  assert.is(verdict(100), 2);
  assert.is(verdict(51), 3);
  assert.is(verdict(50), 4);
  assert.is(verdict(0xffffffff), 1);
});

test('a conditional jump of exactly 255 is encoded; 256 is refused, not truncated', () => {
  const build = (n: number): Assembler => {
    const asm = new Assembler().load(0).jeq(1, 'far');
    for (let i = 0; i < n; i++) asm.ret(0x7fff0000);
    return asm.label('far').ret(0);
  };
  const ok = build(MAX_COND_JUMP).assemble();
  assert.is(ok[1]?.jt, 255);
  assert.is(runFilter(encode(ok), { nr: 1, arch: X86_64 }), 0);
  assert.throws(() => build(MAX_COND_JUMP + 1).assemble(), (e: Error) => e instanceof BpfAssemblyError && /jumps 256 forward to 'far', more than 255/.test(e.message));
});

test('refuses what the kernel would refuse, naming the problem', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['undefined label', () => new Assembler().load(0).jeq(1, 'nowhere').ret(0).assemble(), /undefined label 'nowhere'/],
    ['backward jump', () => new Assembler().label('top').load(0).ja('top').ret(0).assemble(), /jumps backwards to 'top'/],
    ['label at the end', () => new Assembler().load(0).jeq(1, 'end').ret(0).label('end').assemble(), /past the end/],
    ['duplicate label', () => new Assembler().label('a').label('a').ret(0).assemble(), /defined twice/],
    ['no final return', () => new Assembler().load(0).assemble(), /last instruction must be a return/],
    ['empty', () => new Assembler().assemble(), /empty/],
    ['unaligned load', () => new Assembler().load(2), /not an aligned word/],
    ['load past seccomp_data', () => new Assembler().load(64), /not an aligned word/],
    ['k over 32 bits', () => new Assembler().ret(2 ** 32), /not a u32/],
    ['negative k', () => new Assembler().jeq(-1, NEXT), /not a u32/],
  ];
  for (const [name, run, message] of cases) {
    assert.throws(run, (e: Error) => e instanceof BpfAssemblyError && message.test(e.message), name);
  }
  const long = new Assembler();
  for (let i = 0; i < 4097; i++) long.ret(0);
  assert.throws(() => long.assemble(), /4097 instructions, more than the kernel's 4096/);
});

test.run();
