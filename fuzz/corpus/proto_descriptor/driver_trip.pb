
ÿ
google/protobuf/timestamp.protogoogle.protobuf";
	Timestamp
seconds (Rseconds
nanos (RnanosB…
com.google.protobufBTimestampProtoPZ2google.golang.org/protobuf/types/known/timestamppbø¢GPBªGoogle.Protobuf.WellKnownTypesbproto3
¼
driver_trip.proto
feast.testgoogle/protobuf/timestamp.proto".
Location
lat (Rlat
lon (Rlon"Á

DriverTrip
	driver_id (RdriverId
	avg_rides (RavgRides
trips (Rtrips
city (	Rcity
ratings (Rratings5
event_ts (2.google.protobuf.TimestampReventTs

created_ms (R	createdMs&
loc (2.feast.test.LocationRloc:
counts	 (2".feast.test.DriverTrip.CountsEntryRcounts
blob
 (Rblob
active (Ractive
small (Rsmall9
CountsEntry
key (	Rkey
value (Rvalue:8bproto3