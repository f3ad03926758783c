"""Central Asian combatants in Russia's war against Ukraine: dataset, analysis and brief."""
