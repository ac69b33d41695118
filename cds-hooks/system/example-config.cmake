# Writes OUT, the example configuration file of the system service: the shipped deployment
# (policies/deployment.json, its text kept as written) with SERVER (cds-hooks/system/server.json)
# as its "server" member, so the example never drifts from the deployment it extends. Paths in
# SERVER are absolute: the unit's state and log directories (cds-commissioning.service.in).
# Input: -DDEPLOYMENT=<deployment.json> -DSERVER=<server.json> -DOUT=<file>.
file(READ ${DEPLOYMENT} deployment)
file(READ ${SERVER} server)
string(JSON kind ERROR_VARIABLE err TYPE "${deployment}" server)
if(NOT err)
  message(FATAL_ERROR "${DEPLOYMENT} already has a \"server\" member; the example adds its own")
endif()
string(STRIP "${server}" server)
string(REPLACE "\n" "\n  " server "${server}")
# the deployment's closing brace, then the server member before it
string(REGEX REPLACE "\n?}[ \t\r\n]*$" ",\n  \"server\": ${server}\n}\n" example "${deployment}")
string(JSON kind ERROR_VARIABLE err TYPE "${example}" server)
if(err OR NOT kind STREQUAL "OBJECT")
  message(FATAL_ERROR "example configuration: not JSON with a \"server\" object (${err})")
endif()
file(WRITE ${OUT} "${example}")
