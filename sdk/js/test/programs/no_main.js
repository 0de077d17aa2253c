// A module without a main(): the run fails and says so.
export const notMain = 1;
