module rtlab/peers

go 1.19
