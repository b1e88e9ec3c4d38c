{
  "targets": [
    {
      "target_name": "mify_native",
      "sources": ["src/allocator.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
