{
  "targets": [
    {
      "target_name": "blasprop",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/gemm.cc",
        "native/add_bias.cc",
        "native/col_sum.cc",
        "native/gather_rows.cc",
        "native/axpy.cc",
        "native/sgd_step.cc",
        "native/momentum_step.cc",
        "native/adaptive_step.cc",
        "native/adam_step.cc",
        "native/relu.cc",
        "native/softmax.cc",
        "native/large_pages.cc",
        "native/threads.cc",
        "native/two_cores.cc",
        "native/window.cc",
        "native/im2col.cc",
        "native/swap_axes.cc",
        "native/max_pool.cc",
        "native/conv_relu_pool.cc",
        "native/info.cc",
        "native/glibc_compat.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node scripts/openblas.cjs include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "BLASPROP_BUILD_SYSTEM=\"node-gyp\"",
        "BLASPROP_OPENBLAS_LINK=\"<!(node scripts/openblas.cjs link)\""
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++14"],
      "cflags": ["-O3", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off", "-fexceptions", "-fvisibility=hidden"],
      "libraries": ["<!@(node scripts/openblas.cjs libs)"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"],
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='win'", {
          "msvs_settings": {
            "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] }
          }
        }]
      ]
    }
  ]
}
