"""The stream: parsing the bikes' log lines, the batch pipeline into the live store, the simulator."""
