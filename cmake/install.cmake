# `cmake --install BUILD --prefix DIR` puts every binary this tree builds in DIR/bin (the
# build itself leaves them in BUILD/src/<area>/, e.g. build/dev/src/cli/nw).
include(GNUInstallDirs)
foreach(bin nw nw-devaws nw-proxy nw-enclave nw-host nw-lambda nw-init)
    if(TARGET ${bin})
        install(TARGETS ${bin} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    endif()
endforeach()
