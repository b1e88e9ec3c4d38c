{
  "targets": [
    {
      "target_name": "mify_native",
      "sources": ["src/memory.cc"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
