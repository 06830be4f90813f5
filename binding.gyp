{
  "targets": [
    {
      "target_name": "lrctl_native",
      "sources": ["lib/native/addon.c", "lib/native/mount.c", "lib/native/napi-args.c", "lib/native/process.c", "lib/native/whiteout.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
