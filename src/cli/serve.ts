// `kube-hygiene serve`: the admission server, run until SIGTERM. The process edge itself lives
// in src/main.ts (the one file that listens); this is its name on the command line.
export async function serve(args: string[]): Promise<number> {
  const { main } = await import('../main.js');
  return main(args);
}
