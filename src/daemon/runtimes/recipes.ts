/**
 * What a runtime is built from: the base recipe of each language (which distribution packages
 * make it, the environment, the smoke test), the built-in runtimes, and the aliases users know
 * from the original's docs (`python:3.11-ml`, `java:17`, `node:18`, ...).
 */
import { hostArchitecture } from './sources';

/** Languages a runtime can be based on. */
export const LANGUAGES = ['python', 'java', 'node', 'go', 'rust'] as const;
/** One of LANGUAGES. */
export type Language = (typeof LANGUAGES)[number];

/** A file the smoke test puts into /work. */
export interface SmokeFile {
  path: string;
  content: string;
}

/** The smoke test `rnx runtime test` runs in a job. */
export interface SmokeTest {
  command: string;
  args: string[];
  files: SmokeFile[];
}

/** Everything needed to build one runtime (from a built-in recipe or a user's runtime.yaml). */
export interface BuildPlan {
  name: string;
  version: string;
  description: string;
  language: Language;
  /** As asked for: "3.11", "17", "18". */
  languageVersion: string;
  builtin: boolean;
  aliases: string[];
  /** Distribution packages (name or name=version), installed from the archive with the shared cache. */
  packages: string[];
  /** The package whose version is the runtime's language version (python3.11, nodejs ...). */
  languagePackage: string;
  /** When set, the languagePackage's version must start with it (e.g. "18." for nodejs). */
  versionPrefix?: string;
  environment: Record<string, string>;
  smokeTest: SmokeTest;
  /** pip and npm packages and pip's extra options (user runtimes). */
  pip: string[];
  pipOptions: string[];
  npm: string[];
  hooks: { preInstall?: string; postInstall?: string; timeoutMs: number };
  libraries: string[];
  /** The user's runtime.yaml, kept in the manifest. */
  originalYaml?: string;
}

/** The part of a plan a language contributes. */
type Base = Pick<BuildPlan, 'packages' | 'languagePackage' | 'versionPrefix' | 'environment' | 'smokeTest'>;

/** Default time user hooks may take together. */
export const DEFAULT_HOOK_TIMEOUT_MS = 20 * 60 * 1000;

/** The base of a language at a version: the packages that provide it and how to check it. */
export function languageBase(language: Language, version: string): Base {
  const arch = hostArchitecture();
  switch (language) {
    case 'python':
      return {
        packages: [`python${version}`, 'python3'],
        languagePackage: `python${version}`,
        environment: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
        smokeTest: { command: 'python3', args: ['-c', 'import platform, sys; print("Python", platform.python_version(), "at", sys.executable)'], files: [] },
      };
    case 'java':
      return {
        packages: [`openjdk-${version}-jdk-headless`],
        languagePackage: `openjdk-${version}-jdk-headless`,
        environment: { JAVA_HOME: `/usr/lib/jvm/java-${version}-openjdk-${arch}` },
        smokeTest: {
          command: 'sh',
          args: ['-c', 'javac -d /tmp/hello Hello.java && java -cp /tmp/hello Hello'],
          files: [{ path: 'Hello.java', content: 'public class Hello {\n  public static void main(String[] args) {\n    System.out.println("Hello from Java " + System.getProperty("java.version"));\n  }\n}\n' }],
        },
      };
    case 'node':
      return {
        packages: ['nodejs'],
        languagePackage: 'nodejs',
        versionPrefix: `${version}.`,
        environment: {},
        smokeTest: { command: 'node', args: ['hello.js'], files: [{ path: 'hello.js', content: "console.log('Hello from Node.js ' + process.version);\n" }] },
      };
    case 'go':
      return {
        packages: [`golang-${version}-go`],
        languagePackage: `golang-${version}-go`,
        environment: { PATH: `/usr/lib/go-${version}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, GOCACHE: '/tmp/go-cache', GOPATH: '/tmp/go' },
        smokeTest: { command: 'go', args: ['run', 'hello.go'], files: [{ path: 'hello.go', content: 'package main\n\nimport (\n\t"fmt"\n\t"runtime"\n)\n\nfunc main() { fmt.Println("Hello from Go", runtime.Version()) }\n' }] },
      };
    case 'rust':
      return {
        packages: ['rustc', 'cargo'],
        languagePackage: 'rustc',
        versionPrefix: `${version}.`,
        environment: {},
        smokeTest: { command: 'rustc', args: ['--version'], files: [] },
      };
  }
}

/** A built-in recipe before it becomes a plan. */
interface Builtin {
  name: string;
  description: string;
  language: Language;
  languageVersion: string;
  aliases: string[];
  extraPackages?: string[];
  environment?: Record<string, string>;
  smokeTest?: SmokeTest;
}

/** Version of the built-in recipes; bumped when a recipe changes what it installs. */
export const BUILTIN_VERSION = '1.0.0';

const BUILTINS: Builtin[] = [
  {
    name: 'python-3.11-ml',
    description: 'Python 3.11 with NumPy, pandas, SciPy, scikit-learn and Matplotlib',
    language: 'python',
    languageVersion: '3.11',
    aliases: ['python:3.11-ml'],
    extraPackages: ['python3-numpy', 'python3-pandas', 'python3-scipy', 'python3-sklearn', 'python3-matplotlib'],
    // Agg: no display in a job. Matplotlib's font cache goes to /tmp, not the small /work.
    environment: { MPLBACKEND: 'Agg', MPLCONFIGDIR: '/tmp/matplotlib' },
    smokeTest: {
      command: 'python3',
      args: ['-c', 'import numpy, pandas; print("numpy", numpy.__version__); print("pandas", pandas.__version__)'],
      files: [],
    },
  },
  { name: 'python-3.11', description: 'Python 3.11', language: 'python', languageVersion: '3.11', aliases: ['python:3.11'] },
  { name: 'openjdk-17', description: 'OpenJDK 17 (JDK, headless)', language: 'java', languageVersion: '17', aliases: ['openjdk:17', 'java:17'] },
  { name: 'openjdk-21', description: 'OpenJDK 21 (JDK, headless)', language: 'java', languageVersion: '21', aliases: ['openjdk:21', 'java:21'] },
  { name: 'nodejs-18', description: 'Node.js 18', language: 'node', languageVersion: '18', aliases: ['nodejs:18', 'node:18'] },
];

/** Every built-in recipe as a build plan, in the order `rnx runtime list` shows them. */
export function builtinPlans(): BuildPlan[] {
  return BUILTINS.map((b) => {
    const base = languageBase(b.language, b.languageVersion);
    return {
      name: b.name,
      version: BUILTIN_VERSION,
      description: b.description,
      language: b.language,
      languageVersion: b.languageVersion,
      builtin: true,
      aliases: b.aliases,
      ...base,
      packages: [...base.packages, ...(b.extraPackages ?? [])],
      environment: { ...base.environment, ...b.environment },
      smokeTest: b.smokeTest ?? base.smokeTest,
      pip: [],
      pipOptions: [],
      npm: [],
      hooks: { timeoutMs: DEFAULT_HOOK_TIMEOUT_MS },
      libraries: [],
    };
  });
}

/**
 * The canonical form of a runtime reference: lower case, `lang:ver` written `lang-ver` (as the
 * original normalises `python:3.11-ml`), an optional `@version` kept apart.
 */
export function normalizeRef(ref: string): { name: string; version?: string } {
  const at = ref.trim().lastIndexOf('@');
  const name = (at >= 0 ? ref.trim().slice(0, at) : ref.trim()).toLowerCase().replace(/:/g, '-');
  const version = at >= 0 ? ref.trim().slice(at + 1) : undefined;
  return version === undefined ? { name } : { name, version };
}
