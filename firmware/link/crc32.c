/*
 * CRC-32 (zlib/PNG/Ethernet): reflected polynomial 0xEDB88320, register preset to 0xFFFFFFFF and
 * inverted at the end. Processed four bits at a time through a 16-entry table (64 bytes of
 * rodata) to stay small on the smallest boards; tests check it against Python's zlib.crc32.
 */
#include "qlr/link.h"

/* Entry n is the register after shifting the nibble n through four steps of the reflected
 * division: c = n; repeat 4 times: c = (c >> 1) ^ (c & 1 ? 0xEDB88320 : 0). */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t qlr_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 0x0Fu];
        crc = (crc >> 4) ^ crc_nibble[crc & 0x0Fu];
    }
    return ~crc;
}
