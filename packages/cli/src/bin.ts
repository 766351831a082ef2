#!/usr/bin/env node
// Entry point of the `eff` command.
console.log('eff: commands are being built; see README.md');
