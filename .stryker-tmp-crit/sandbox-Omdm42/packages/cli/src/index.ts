// @ts-nocheck
// Public surface of @eff/cli (the program itself is bin.ts).
export {};
