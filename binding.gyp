{
  "targets": [
    {
      "target_name": "lrctl_native",
      "sources": ["lib/native/addon.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
