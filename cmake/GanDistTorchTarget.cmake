# Torch headers dominate build time. Every target that includes torch reuses one precompiled
# header (built once in gan_torch_pch) instead of parsing <torch/torch.h> per translation unit.
add_library(gan_torch_pch STATIC ${CMAKE_CURRENT_LIST_DIR}/torch_pch.cpp)
target_link_libraries(gan_torch_pch PUBLIC ${TORCH_LIBRARIES})
target_compile_options(gan_torch_pch PUBLIC ${TORCH_CXX_FLAGS})
target_precompile_headers(gan_torch_pch PRIVATE <torch/torch.h>)
# A LibTorch with CUDA: code that orders collectives after LibTorch's current stream compiles in
# (comm/tensor_buffer.h). Set on the header's target too, so users and header agree.
if(GAN_DIST_TORCH_HAS_CUDA)
  target_compile_definitions(gan_torch_pch PUBLIC GAN_DIST_TORCH_HAS_CUDA)
endif()

# gan_use_torch(target): link torch and reuse the shared precompiled header.
function(gan_use_torch target)
  target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  target_precompile_headers(${target} REUSE_FROM gan_torch_pch)
  if(GAN_DIST_TORCH_HAS_CUDA)
    target_compile_definitions(${target} PRIVATE GAN_DIST_TORCH_HAS_CUDA)
  endif()
endfunction()
