// WEFT_EXPORT marks what libweft.so exports: the declarations of include/weft/. The library
// is compiled with hidden visibility, so everything else (the engine, the server, the
// kernels) stays internal to it and free to change without breaking programs linked to it.
#pragma once

#if defined(_WIN32)
#define WEFT_EXPORT
#else
#define WEFT_EXPORT __attribute__((visibility("default")))
#endif
