# The Kubernetes provider lives in providers/kubernetes/.
include(${CMAKE_CURRENT_LIST_DIR}/providers/kubernetes/kubernetes.cmake)
