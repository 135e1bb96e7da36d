package pkpass

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// semType is the type of a semantic tag's value (Apple's SemanticTagType).
type semType int

const (
	semString semType = iota
	semNumber
	semBool
	semDate     // ISO 8601 date-time with offset
	semLocation // {latitude, longitude}
	semPerson   // PersonNameComponents
	semCurrency // CurrencyAmount {amount, currencyCode}
	semSeats    // array of Seat
	semStrings  // array of strings
	semWifi     // array of {ssid, password}
	semAirplay  // array of {airplayDeviceGroupToken}
	semDateInfo // EventDateInfo {date, ignoreTimeComponents?, timeZone?, unannounced?, undetermined?}
	semEventType
	semSecurityPrograms // array of PKTransitSecurityProgram… names
	semCapabilities     // array of PKPassengerCapability… names
)

// eventTypes are the values of the eventType tag.
var eventTypes = []string{"PKEventTypeGeneric", "PKEventTypeLivePerformance", "PKEventTypeMovie", "PKEventTypeSports",
	"PKEventTypeConference", "PKEventTypeConvention", "PKEventTypeWorkshop", "PKEventTypeSocialGathering"}

// semEnums are the allowed values of the enumerated types; an array type
// listed here is an array of those names.
var semEnums = map[semType][]string{
	semEventType: eventTypes,
	semSecurityPrograms: {"PKTransitSecurityProgramTSAPreCheck", "PKTransitSecurityProgramTSAPreCheckTouchlessID",
		"PKTransitSecurityProgramOSS", "PKTransitSecurityProgramITI", "PKTransitSecurityProgramITD",
		"PKTransitSecurityProgramGlobalEntry", "PKTransitSecurityProgramCLEAR"},
	semCapabilities: {"PKPassengerCapabilityPreboarding", "PKPassengerCapabilityPriorityBoarding",
		"PKPassengerCapabilityCarryon", "PKPassengerCapabilityPersonalItem"},
}

// semanticTags is Apple's SemanticTags reference (WalletPasses framework,
// iOS 12 tags, those iOS 18 added for the new event ticket layout and
// those iOS 26 added for the live airline boarding pass) as data: tag → value type. A tag missing here is refused by name.
var semanticTags = map[string]semType{
	"additionalTicketAttributes":          semString,
	"admissionLevel":                      semString,
	"admissionLevelAbbreviation":          semString,
	"airlineCode":                         semString,
	"airplay":                             semAirplay,
	"albumIDs":                            semStrings,
	"artistIDs":                           semStrings,
	"attendeeName":                        semString,
	"awayTeamAbbreviation":                semString,
	"awayTeamLocation":                    semString,
	"awayTeamName":                        semString,
	"balance":                             semCurrency,
	"boardingGroup":                       semString,
	"boardingSequenceNumber":              semString,
	"boardingZone":                        semString,
	"carNumber":                           semString,
	"confirmationNumber":                  semString,
	"currentArrivalDate":                  semDate,
	"currentBoardingDate":                 semDate,
	"currentDepartureDate":                semDate,
	"departureAirportCode":                semString,
	"departureAirportName":                semString,
	"departureCityName":                   semString,
	"departureGate":                       semString,
	"departureLocation":                   semLocation,
	"departureLocationDescription":        semString,
	"departureLocationSecurityPrograms":   semSecurityPrograms,
	"departureLocationTimeZone":           semString,
	"departurePlatform":                   semString,
	"departureStationName":                semString,
	"departureTerminal":                   semString,
	"destinationAirportCode":              semString,
	"destinationAirportName":              semString,
	"destinationCityName":                 semString,
	"destinationGate":                     semString,
	"destinationLocation":                 semLocation,
	"destinationLocationDescription":      semString,
	"destinationLocationSecurityPrograms": semSecurityPrograms,
	"destinationLocationTimeZone":         semString,
	"destinationPlatform":                 semString,
	"destinationStationName":              semString,
	"destinationTerminal":                 semString,
	"duration":                            semNumber,
	"entranceDescription":                 semString,
	"eventEndDate":                        semDate,
	"eventLiveMessage":                    semString,
	"eventName":                           semString,
	"eventStartDate":                      semDate,
	"eventStartDateInfo":                  semDateInfo,
	"eventType":                           semEventType,
	"flightCode":                          semString,
	"flightNumber":                        semNumber,
	"genre":                               semString,
	"homeTeamAbbreviation":                semString,
	"homeTeamLocation":                    semString,
	"homeTeamName":                        semString,
	"internationalDocumentsAreVerified":   semBool,
	"internationalDocumentsVerifiedDeclarationName": semString,
	"leagueAbbreviation":                            semString,
	"leagueName":                                    semString,
	"loungePlaceIDs":                                semStrings,
	"membershipProgramName":                         semString,
	"membershipProgramNumber":                       semString,
	"membershipProgramStatus":                       semString,
	"originalArrivalDate":                           semDate,
	"originalBoardingDate":                          semDate,
	"originalDepartureDate":                         semDate,
	"passengerAirlineSSRs":                          semStrings,
	"passengerCapabilities":                         semCapabilities,
	"passengerEligibleSecurityPrograms":             semSecurityPrograms,
	"passengerInformationSSRs":                      semStrings,
	"passengerName":                                 semPerson,
	"passengerServiceSSRs":                          semStrings,
	"performerNames":                                semStrings,
	"playlistIDs":                                   semStrings,
	"priorityStatus":                                semString,
	"seats":                                         semSeats,
	"securityScreening":                             semString,
	"silenceRequested":                              semBool,
	"sportName":                                     semString,
	"tailgatingAllowed":                             semBool,
	"ticketFareClass":                               semString,
	"totalPrice":                                    semCurrency,
	"transitProvider":                               semString,
	"transitStatus":                                 semString,
	"transitStatusReason":                           semString,
	"vehicleName":                                   semString,
	"vehicleNumber":                                 semString,
	"vehicleType":                                   semString,
	"venueBoxOfficeOpenDate":                        semDate,
	"venueCloseDate":                                semDate,
	"venueDoorsOpenDate":                            semDate,
	"venueEntrance":                                 semString,
	"venueEntranceDoor":                             semString,
	"venueEntranceGate":                             semString,
	"venueEntrancePortal":                           semString,
	"venueFanZoneOpenDate":                          semDate,
	"venueGatesOpenDate":                            semDate,
	"venueLocation":                                 semLocation,
	"venueName":                                     semString,
	"venueOpenDate":                                 semDate,
	"venueParkingLotsOpenDate":                      semDate,
	"venuePhoneNumber":                              semString,
	"venueRegionName":                               semString,
	"venueRoom":                                     semString,
	"wifiAccess":                                    semWifi,
}

// The members of the object types, each a string unless listed otherwise.
var (
	personKeys   = []string{"familyName", "givenName", "middleName", "namePrefix", "nameSuffix", "nickname", "phoneticRepresentation"}
	seatKeys     = []string{"seatAisle", "seatDescription", "seatIdentifier", "seatLevel", "seatNumber", "seatRow", "seatSection", "seatSectionColor", "seatType"}
	currencyKeys = []string{"amount", "currencyCode"}
	wifiKeys     = []string{"password", "ssid"}
	airplayKeys  = []string{"airplayDeviceGroupToken"}
	dateInfoKeys = []string{"date", "ignoreTimeComponents", "timeZone", "unannounced", "undetermined"}
	// dateInfoBools are the members of a date info that are booleans.
	dateInfoBools = map[string]bool{"ignoreTimeComponents": true, "unannounced": true, "undetermined": true}
)

// SemanticTagNames lists the known tags, for documentation and schemas.
func SemanticTagNames() []string { return sortedKeys(semanticTags) }

func checkSemantics(d *decoded) error {
	sem, ok := d.raw["semantics"]
	if !ok {
		return nil
	}
	// Paths only go into messages: each tag is checked with an empty one
	// first and, only when that fails, again with its own, so that a valid
	// body builds no path strings (they were most of this check's
	// allocations). The checks below keep to that: a path is extended only
	// on the way to an error.
	for _, mb := range sem.obj {
		t, known := semanticTags[mb.key]
		if !known {
			return invalid("semantics.%s is not one of Apple's semantic tags", mb.key)
		}
		if mb.val.kind == kindNull {
			continue
		}
		if err := checkSemValue("", t, mb.val); err != nil {
			return checkSemValue("semantics."+mb.key, t, mb.val)
		}
	}
	return nil
}

func checkSemValue(p string, t semType, v value) error {
	switch t {
	case semString:
		return want(p, v, kindString, "a string")
	case semEventType:
		if v.kind != kindString || !slices.Contains(eventTypes, v.str) {
			return invalid("%s must be one of: %s", p, strings.Join(eventTypes, ", "))
		}
	case semSecurityPrograms, semCapabilities:
		names := semEnums[t]
		return checkSemArray(p, v, func(ip string, it value) error {
			if it.kind != kindString || !slices.Contains(names, it.str) {
				return invalid("%s must be one of: %s", ip, strings.Join(names, ", "))
			}
			return nil
		})
	case semNumber:
		if err := want(p, v, kindNumber, "a number"); err != nil {
			return err
		}
		if f, err := strconv.ParseFloat(v.str, 64); err != nil || math.IsInf(f, 0) {
			return invalid("%s must be a finite number", p)
		}
	case semBool:
		return want(p, v, kindBool, "a boolean")
	case semDate:
		if err := want(p, v, kindString, "an ISO 8601 date-time string"); err != nil {
			return err
		}
		if _, ok := isoDate(v.str); !ok {
			return invalid("%s must be an ISO 8601 date-time with offset, like 2026-05-11T20:00:00+02:00", p)
		}
	case semLocation:
		if err := want(p, v, kindObject, "an object {latitude, longitude}"); err != nil {
			return err
		}
		for _, k := range []string{"latitude", "longitude"} {
			if !hasKey(v.obj, k) {
				return invalid("%s.%s is required", p, k)
			}
		}
		for _, mb := range v.obj {
			if mb.key != "latitude" && mb.key != "longitude" {
				return invalid("%s.%s is not a member of a location (latitude, longitude)", p, mb.key)
			}
			if err := checkSemValue("", semNumber, mb.val); err != nil {
				return checkSemValue(p+"."+mb.key, semNumber, mb.val)
			}
		}
	case semPerson:
		return checkSemObject(p, v, personKeys, nil)
	case semCurrency:
		if err := checkSemObject(p, v, currencyKeys, nil); err != nil {
			return err
		}
		for _, mb := range v.obj {
			if mb.key == "amount" && !decimalNumber.MatchString(mb.val.str) {
				return invalid("%s.amount must be a decimal number as a string, like \"12.50\"", p)
			}
			if mb.key == "currencyCode" && !currencyCode.MatchString(mb.val.str) {
				return invalid("%s.currencyCode must be an ISO 4217 code of 3 upper-case letters", p)
			}
		}
	case semSeats:
		return checkSemArray(p, v, func(ip string, it value) error { return checkSemObject(ip, it, seatKeys, nil) })
	case semStrings:
		return checkSemArray(p, v, func(ip string, it value) error { return want(ip, it, kindString, "a string") })
	case semWifi:
		return checkSemArray(p, v, func(ip string, it value) error { return checkSemObject(ip, it, wifiKeys, nil) })
	case semAirplay:
		return checkSemArray(p, v, func(ip string, it value) error { return checkSemObject(ip, it, airplayKeys, nil) })
	case semDateInfo:
		if err := checkSemObject(p, v, dateInfoKeys, dateInfoBools); err != nil {
			return err
		}
		for _, mb := range v.obj {
			if mb.key == "date" {
				return checkSemValue(p+".date", semDate, mb.val)
			}
		}
	}
	return nil
}

func want(p string, v value, k kind, what string) error {
	if v.kind != k {
		return invalid("%s must be %s", p, what)
	}
	return nil
}

// checkSemObject checks an object whose members are all optional strings,
// except those listed in bools.
func checkSemObject(p string, v value, keys []string, bools map[string]bool) error {
	if v.kind != kindObject {
		return invalid("%s must be an object with %s", p, strings.Join(keys, ", "))
	}
	for _, mb := range v.obj {
		known := false
		for _, k := range keys {
			known = known || k == mb.key
		}
		if !known {
			return invalid("%s.%s is not one of: %s", p, mb.key, strings.Join(keys, ", "))
		}
		if bools[mb.key] {
			if mb.val.kind != kindBool {
				return invalid("%s.%s must be a boolean", p, mb.key)
			}
			continue
		}
		if mb.key == "phoneticRepresentation" && mb.val.kind == kindObject {
			if err := checkSemObject("", mb.val, personKeys, nil); err != nil {
				return checkSemObject(p+"."+mb.key, mb.val, personKeys, nil)
			}
			continue
		}
		if mb.val.kind != kindString {
			return invalid("%s.%s must be a string", p, mb.key)
		}
	}
	return nil
}

func checkSemArray(p string, v value, each func(string, value) error) error {
	if v.kind != kindArray {
		return invalid("%s must be an array", p)
	}
	for i, it := range v.arr {
		if err := each("", it); err != nil {
			return each(p+"["+strconv.Itoa(i)+"]", it)
		}
	}
	return nil
}
