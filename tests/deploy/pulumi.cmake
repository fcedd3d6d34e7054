# pulumi/: the stack under Pulumi's mocks (node's test runner through
# ts-node) and a full type check. Both run offline from pulumi/node_modules,
# which prewarm.sh installs with `npm ci` from the committed lock file.
if(NODE_EXECUTABLE)
  set(pulumi_dir ${PROJECT_SOURCE_DIR}/pulumi)
  add_test(NAME deploy.pulumi.mocks
           COMMAND ${NODE_EXECUTABLE} --require ts-node/register --test tests/stack.test.ts
           WORKING_DIRECTORY ${pulumi_dir})
  add_test(NAME deploy.pulumi.tsc
           COMMAND ${NODE_EXECUTABLE} node_modules/typescript/bin/tsc --noEmit -p tsconfig.json
           WORKING_DIRECTORY ${pulumi_dir})
  set_tests_properties(deploy.pulumi.mocks deploy.pulumi.tsc PROPERTIES TIMEOUT 300 LABELS "deploy;pulumi")
  set_tests_properties(deploy.pulumi.mocks PROPERTIES ENVIRONMENT "PREWARMD=$<TARGET_FILE:prewarmd>")
  set_property(TEST deploy.pulumi.mocks APPEND PROPERTY ENVIRONMENT "PREWARM_KUBE_BIN=${PREWARM_KUBE_BIN}")
endif()
