# Xen platform device for QEMU: fetch the pinned QEMU base, apply the
# series, build, test, and export the series. See README.md.

SHELL := /bin/bash
# The checkout this Makefile is in, so that make -f PATH/Makefile works from
# any folder; the scripts themselves run from there
TOP := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
S := $(TOP)/scripts
# QEMU_SRC as the caller wrote it: relative to the folder make runs in
ifneq ($(QEMU_SRC),)
override QEMU_SRC := $(abspath $(QEMU_SRC))
export QEMU_SRC
endif

.PHONY: all deps assemble build build-noxen demo check check-noxen qemu-suites series series-check branch write-back interop fuzz compat docs bench xen clean distclean

all: build
	@$(S)/demo.sh

deps:
	@$(S)/install-deps.sh

assemble: deps
	@$(S)/assemble.sh

build: assemble
	@$(S)/build.sh build --enable-xen -- qemu-system-x86_64 qemu-img

build-noxen: assemble
	@$(S)/build.sh build-noxen --disable-xen -- qemu-system-x86_64

demo: build
	@$(S)/demo.sh

check: assemble
	@$(S)/check.sh

check-noxen: assemble
	@$(S)/check-noxen.sh

qemu-suites: assemble
	@$(S)/qemu-suites.sh

series: deps
	@$(S)/series.sh

series-check: deps
	@$(S)/series.sh --check

branch: deps
	@$(S)/stack.sh branch

write-back:
	@$(S)/stack.sh write-back

interop: build
	@$(S)/interop.sh

fuzz:
	@$(S)/fuzz.sh

xen: build
	@$(S)/install-deps.sh --xen
	@$(S)/xen-run.sh

compat: assemble
	@$(S)/compat.sh

docs:
	@$(S)/docs.sh

bench: assemble
	@$(S)/bench.sh

clean:
	cd $(TOP) && rm -rf build build-noxen build-fuzz build-base build-docs build-10.0 \
	    build-noxen-10.0 build-fuzz-10.0 build-base-10.0 build-docs-10.0

distclean: clean
	cd $(TOP) && rm -rf work work-10.0
