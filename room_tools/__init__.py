"""Tools above the apps: simulated students (`synaq-sim`), the demo (`make demo`), and the
helpers the benchmarks share. Nothing in the room imports them."""
