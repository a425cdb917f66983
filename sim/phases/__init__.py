"""The phases of the week, one file each, every mechanism written once.

Each file holds its phase as compiled kernels (numba) over one unit (an agency, a tie, a
family) and the named bundles of ``sim.phases.bundles``: what the unit's chances are, and
what outcomes already drawn do to it. The engines differ only in how they draw those
outcomes and in what order units act (``sim.engines``): the compiled engine calls the
kernels from its week loop, the agents engine one Mesa agent at a time, the vectorized
engine over every unit of the phase. ``sim.schedule`` declares the order of the phases.
"""
