# Decides whether the NCCL backend is built: it needs the CUDA runtime and NCCL. It is compiled
# whenever both are found (so CPU-only CI still compiles it) and skipped cleanly otherwise.
set(GAN_DIST_HAVE_NCCL OFF)
if(GAN_DIST_WITH_NCCL)
  if(NOT CUDAToolkit_ROOT AND EXISTS /usr/local/cuda)
    set(CUDAToolkit_ROOT /usr/local/cuda)
  endif()
  find_package(CUDAToolkit QUIET)
  find_package(NCCL QUIET)
  if(CUDAToolkit_FOUND AND NCCL_FOUND)
    set(GAN_DIST_HAVE_NCCL ON)
    message(STATUS "gan_dist: NCCL backend enabled (NCCL ${NCCL_VERSION}, CUDA ${CUDAToolkit_VERSION})")
  else()
    message(STATUS "gan_dist: NCCL backend not built (CUDA found: ${CUDAToolkit_FOUND}, NCCL found: ${NCCL_FOUND})")
  endif()
endif()

# Whether this LibTorch was built with CUDA (Debian's is CPU-only; a pip/CUDA LibTorch is not).
set(GAN_DIST_TORCH_HAS_CUDA OFF)
if(TORCH_CUDA_LIBRARIES OR CAFFE2_USE_CUDA)
  set(GAN_DIST_TORCH_HAS_CUDA ON)
endif()
