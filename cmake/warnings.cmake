# Warning set from STYLE.md 3.9; applied through the nw_warnings interface target.
add_library(nw_warnings INTERFACE)
target_compile_options(nw_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
    -Wundef -Wvla -Wwrite-strings -Wimplicit-fallthrough -Wconversion -Wsign-conversion)
if(NW_WERROR)
    target_compile_options(nw_warnings INTERFACE -Werror)
endif()
target_compile_definitions(nw_warnings INTERFACE _DEFAULT_SOURCE _GNU_SOURCE)
if(NW_HARDEN)
    target_compile_options(nw_warnings INTERFACE -D_FORTIFY_SOURCE=3 -fstack-protector-strong
        -fstack-clash-protection -fcf-protection -fPIE)
    target_link_options(nw_warnings INTERFACE -pie -Wl,-z,relro,-z,now)
endif()
if(NW_COVERAGE)
    target_compile_options(nw_warnings INTERFACE --coverage)
    target_link_options(nw_warnings INTERFACE --coverage)
endif()
