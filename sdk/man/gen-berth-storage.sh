#!/bin/sh
# sdk/man/gen-berth-storage.sh HEADER VERSION > berth-storage.3
# The berth-storage(3) manual page, generated from include/berth/storage.h
# so it can never disagree with it: the header's opening comment is the
# description, the whole header (the contract, member by member) follows.
set -eu
h=$1 v=$2
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/"; }
cat <<MAN
.TH BERTH-STORAGE 3 "" "berth $v" "Berth storage driver ABI"
.SH NAME
berth-storage \- the Berth storage driver ABI (berth/storage.h)
.SH SYNOPSIS
.nf
.B #include <berth/storage.h>
.PP
.B BERTH_STORAGE_DRIVER(&descriptor)
.fi
.PP
Compile and link with \fBpkg-config --cflags --libs berth-driver\fR.
.SH DESCRIPTION
.nf
MAN
# the opening comment, without its comment markers
awk 'NR==1 && /^\/\*/ {next} /^ \*\// {exit} {sub(/^ \* ?/, ""); print}' "$h" | esc
cat <<MAN
.fi
.SH THE HEADER
The complete contract, as installed:
.PP
.nf
MAN
esc < "$h"
cat <<MAN
.fi
.SH SEE ALSO
.BR berth-driver-test (1),
the driver guide in share/doc/berth-driver/README.md.
MAN
